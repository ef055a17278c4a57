"""Code no server runs (issue 16, pattern A): test files, scripts and docs examples, CLI commands,
coroutines run by ``asyncio.run``; the same answer from flake8 where the file alone tells."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import fastapi_perf, flake8, parse_findings

from flake8_fastapi_perf.analysis.served import unserved
from flake8_fastapi_perf.config import ConfigError, Settings, load_pyproject

BLOCKING = "import time\n\nasync def handler():\n    time.sleep(1)\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("relative, expected", [
    ("tests/test_api.py", True),
    ("app/tests/helpers.py", True),
    ("test_api.py", True),
    ("app/api_test.py", True),
    ("conftest.py", True),
    ("docs_src/tutorial/app.py", True),
    ("docs/example.py", True),
    ("examples/app.py", True),
    ("scripts/seed.py", True),
    ("benchmarks/bench_api.py", True),
    ("app/cli/commands.py", True),
    ("app/__main__.py", True),
    ("app/client.py", False),
    ("app/main.py", False),
    ("app/testimonials.py", False),  # a name, not a test
    ("app/contest.py", False),
    ("app/latest/routes.py", False),
])
def test_files_no_server_runs(tmp_path: Path, relative: str, expected: bool):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    settings = Settings(root=str(tmp_path))
    assert unserved(str(tmp_path / relative), settings) is expected


def test_where_the_checkout_lives_does_not_matter(tmp_path: Path):
    # ~/test/myapp/...: the directories above the project root are not the project's
    root = tmp_path / "test" / "examples" / "myapp"
    assert unserved(str(root / "app" / "main.py"), Settings(root=str(root))) is False
    # no pyproject: taken from the directory above the top package
    _write(root, {"app/__init__.py": "", "app/api/__init__.py": "", "app/api/routes.py": "",
                  "scripts/seed.py": ""})
    assert unserved(str(root / "app" / "api" / "routes.py"), Settings()) is False
    assert unserved(str(root / "scripts" / "seed.py"), Settings()) is True


def test_the_patterns_are_configurable(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.fastapi-perf]\nunserved = []\nextend-unserved = ['ops', 'app/admin/*.py']\n"
    )
    settings = load_pyproject(tmp_path / "pyproject.toml")
    assert unserved(str(tmp_path / "tests" / "test_api.py"), settings) is False  # the default list is replaced
    assert unserved(str(tmp_path / "ops" / "deploy.py"), settings) is True
    assert unserved(str(tmp_path / "app" / "admin" / "tools.py"), settings) is True
    assert unserved(str(tmp_path / "app" / "main.py"), settings) is False
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-perf]\nunserved = 5\n")
    with pytest.raises(ConfigError, match="unserved"):
        load_pyproject(tmp_path / "pyproject.toml")


def test_nothing_is_reported_in_tests_scripts_or_docs_by_either_front_end(tmp_path: Path):
    _write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "app/__init__.py": "",
        "app/main.py": BLOCKING,
        "tests/test_main.py": BLOCKING,
        "app/conftest.py": BLOCKING,
        "scripts/seed.py": BLOCKING,
        "docs_src/first.py": BLOCKING,
    })
    cli = fastapi_perf("check", "--no-cache", ".", cwd=tmp_path)
    assert [(Path(f[0]).as_posix(), f[3]) for f in parse_findings(cli.stdout)] == [("app/main.py", "FPF101")]
    plugin = flake8("--select", "FPF", ".", cwd=tmp_path)
    assert [(Path(f[0]).as_posix(), f[3]) for f in parse_findings(plugin.stdout)] == [("app/main.py", "FPF101")]
    # with the default list replaced, the tests are checked like the rest
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-perf]\nunserved = []\n")
    cli = fastapi_perf("check", "--no-cache", ".", cwd=tmp_path)
    assert len(parse_findings(cli.stdout)) == 5


CLI_MODULE = '''
import asyncio
import time

import {framework}

app = {factory}


@app.{decorator}
async def export():
    time.sleep(1)


async def served():
    time.sleep(1)
'''


@pytest.mark.parametrize("framework, factory, decorator", [
    ("typer", "typer.Typer()", "command()"),
    ("click", "click.Group()", "command"),
    ("cyclopts", "cyclopts.App()", "default"),
])
def test_an_async_cli_command_is_not_served(tmp_path: Path, framework: str, factory: str, decorator: str):
    _write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n",
                      "app/__init__.py": "",
                      "app/cli.py": CLI_MODULE.format(framework=framework, factory=factory, decorator=decorator)})
    for proc in (fastapi_perf("check", "--no-cache", ".", cwd=tmp_path), flake8("--select", "FPF", ".", cwd=tmp_path)):
        # the command is dropped, the coroutine beside it is not (nothing says who runs it)
        assert [f[1] for f in parse_findings(proc.stdout)] == [16], proc.stdout


@pytest.mark.parametrize("runner", [
    "asyncio.run(job())",
    "asyncio.get_event_loop().run_until_complete(job())",
    "anyio.run(job)",
])
def test_a_coroutine_only_a_loop_of_its_own_runs_is_not_served(tmp_path: Path, runner: str):
    _write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "app/__init__.py": "",
        "app/work.py": "import time\n\nasync def job():\n    time.sleep(1)\n",
        "app/run.py": f"import asyncio\nimport anyio\n\nfrom .work import job\n\ndef main():\n    {runner}\n",
    })
    assert parse_findings(fastapi_perf("check", "--no-cache", ".", cwd=tmp_path).stdout) == []
    # a route awaits it too: reported
    _write(tmp_path, {"app/api.py": (
        "from fastapi import FastAPI\nfrom .work import job\n\napp = FastAPI()\n\n"
        "@app.get('/')\nasync def root():\n    await job()\n"
    )})
    found = parse_findings(fastapi_perf("check", "--no-cache", ".", cwd=tmp_path).stdout)
    assert [(Path(f[0]).name, f[3]) for f in found] == [("work.py", "FPF101")]


def test_a_coroutine_awaited_only_by_tests_is_not_served(tmp_path: Path):
    _write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "app/__init__.py": "",
        "app/work.py": "import time\n\nasync def job():\n    time.sleep(1)\n",
        "tests/test_work.py": "from app.work import job\n\nasync def test_job():\n    await job()\n",
    })
    assert parse_findings(fastapi_perf("check", "--no-cache", ".", cwd=tmp_path).stdout) == []
    # checking the app alone (pre-commit with the changed files, flake8 in an editor): the project
    # around it (the pyproject.toml above) is indexed all the same, its tests included
    assert parse_findings(fastapi_perf("check", "--no-cache", "app", cwd=tmp_path).stdout) == []
    assert parse_findings(fastapi_perf("check", "--no-cache", "app/work.py", cwd=tmp_path).stdout) == []
    assert parse_findings(flake8("--select", "FPF", "app/work.py", cwd=tmp_path).stdout) == []
    # without a project around (no pyproject.toml, no .git), the files checked are the project
    (tmp_path / "pyproject.toml").unlink()
    for proc in (fastapi_perf("check", "--no-cache", "app", cwd=tmp_path),
                 flake8("--select", "FPF", "app/work.py", cwd=tmp_path)):
        assert [f[3] for f in parse_findings(proc.stdout)] == ["FPF101"], proc.stdout


@pytest.mark.parametrize("header, decorator, elsewhere", [
    ("from rq.decorators import job", "@job('high')", True),
    ("from celery import Celery\ncelery_app = Celery()", "@celery_app.task", True),
    ("from celery import shared_task", "@shared_task(bind=True)", True),
    ("import dramatiq", "@dramatiq.actor", True),
    ("from taskiq_redis import ListQueueBroker\nimport taskiq\nbroker = ListQueueBroker('redis://')", "@broker.task", True),
    ("class Scheduler:\n    def task(self, f):\n        return f\nsched = Scheduler()", "@sched.task", False),  # no queue
])
def test_a_task_queue_job_runs_in_its_workers(tmp_path: Path, header: str, decorator: str, elsewhere: bool):
    _write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", "app/__init__.py": "",
                      "app/jobs.py": f"import time\n{header}\n\n\n{decorator}\nasync def notify():\n    time.sleep(1)\n"})
    for proc in (fastapi_perf("check", "--no-cache", ".", cwd=tmp_path), flake8("--select", "FPF", ".", cwd=tmp_path)):
        assert (parse_findings(proc.stdout) == []) is elsewhere, proc.stdout


def test_a_use_spelt_in_other_letters_is_still_a_use(tmp_path: Path):
    # `ｊｏｂ` is `job` to Python (NFKC): the route awaits it, so it is served
    _write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "app/__init__.py": "",
        "app/work.py": "import time\n\nasync def job():\n    time.sleep(1)\n",
        "app/run.py": "import asyncio\n\nfrom .work import job\n\nasyncio.run(job())\n",
        "app/api.py": ("from fastapi import FastAPI\nfrom . import work\n\napp = FastAPI()\n\n"
                       "@app.get('/')\nasync def root():\n    await work.\uff4a\uff4f\uff42()\n"),
    })
    found = parse_findings(fastapi_perf("check", "--no-cache", ".", cwd=tmp_path).stdout)
    assert [(Path(f[0]).name, f[3]) for f in found] == [("work.py", "FPF101")]
