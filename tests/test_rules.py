"""Every test data file, through the core (as the CLI runs it) and through flake8."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, TESTDATA, expected_findings
from flake8_fastapi_perf.analysis.project import ProjectIndex
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings

RULE_FILES = sorted((TESTDATA / "rules").glob("*.py"))


def core_findings(path: Path, prefilter: bool = True):
    result = check_source(path.read_bytes(), str(path), Settings(), prefilter=prefilter)
    assert result.error is None
    return result.diagnostics


def test_there_is_test_data():
    assert len(RULE_FILES) >= 9


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_core_matches_annotations(path: Path):
    expected = expected_findings(path)
    assert expected, f"{path.name} has no '# error:' annotation"
    got = Counter((d.line, d.code) for d in core_findings(path))
    assert sorted((expected - got).elements()) == [], "missing findings"
    assert sorted((got - expected).elements()) == [], "unexpected findings"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_project_run_matches_annotations(path: Path):
    """The same through ``fastapi-perf check``'s core (the file as a one-file project), where the
    rules also have the module's text (FPF501 skips functions whose text lacks the name)."""
    index = ProjectIndex.build([str(path)], [str(path.parent)])
    with index.session():
        result = check_source(path.read_bytes(), str(path), Settings(), project=index, on_disk=True)
    assert Counter((d.line, d.code) for d in result.diagnostics) == expected_findings(path)


def test_a_container_spelt_in_other_letters_is_still_seen(tmp_path: Path):
    """Python reads ``ＣＡＣＨＥ`` as ``CACHE`` (NFKC): the text of a non-ASCII function does not
    rule the name out."""
    path = tmp_path / "app.py"
    path.write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\nCACHE = {}\n\n"
        "@app.get('/items/{key}')\nasync def get_item(key: str):\n    \uff23\uff21\uff23\uff28\uff25[key] = 1\n"
        "    return 1\n",
        encoding="utf-8",
    )
    index = ProjectIndex.build([str(path)], [str(tmp_path)])
    with index.session():
        result = check_source(path.read_bytes(), str(path), Settings(), project=index, on_disk=True)
    assert [(d.line, d.code) for d in result.diagnostics] == [(8, "FPF501")]
    assert [(d.line, d.code) for d in core_findings(path)] == [(8, "FPF501")]


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_flake8_matches_core(path: Path, flake8_on_testdata):
    core = sorted((d.line, d.col + 1, d.code, d.message) for d in core_findings(path))
    via_flake8 = sorted((f[1], f[2], f[3], f[4]) for f in flake8_on_testdata.get(path.name, []))
    assert via_flake8 == core


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_prefilter_loses_nothing(path: Path):
    assert core_findings(path, prefilter=True) == core_findings(path, prefilter=False)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_messages_name_the_context(path: Path):
    for d in core_findings(path):
        assert "`" in d.message, d.message  # the endpoint/dependency/function name
        assert ";" in d.message, d.message  # ...; what to do


def test_relative_paths_are_reported_as_given():
    from conftest import fastapi_perf, parse_findings

    proc = fastapi_perf("check", "testdata/rules/FPF101_sleep.py", cwd=ROOT)
    assert proc.returncode == 1
    assert {f[0] for f in parse_findings(proc.stdout)} == {"testdata/rules/FPF101_sleep.py"}


def test_fpf110_names_the_costliest_call_and_its_own_line():
    found = {d.line: d.message for d in core_findings(TESTDATA / "rules" / "FPF110_no_await.py") if d.code == "FPF110"}
    report = next(m for m in found.values() if "`report`" in m)
    assert "(requests.get() at line 75, and 1 more blocking call)" in report, report
    settings = next(m for m in found.values() if "`settings`" in m)
    assert "(read_settings() -> open() at line 15)" in settings  # the helper's line, not the call's


def test_messages_name_the_route(tmp_path: Path):
    path = tmp_path / "routes.py"
    path.write_text(
        "import time\nfrom fastapi import APIRouter, FastAPI\n\napp = FastAPI()\n"
        "router = APIRouter(prefix='/users/')\nPATH = '/dyn'\n\n"
        "@router.get('/{user_id}')\nasync def read_user(user_id: int):\n    time.sleep(1)\n    await x()\n\n"
        "@app.api_route('/sync', methods=['get', 'POST'])\nasync def sync():\n    time.sleep(1)\n    await x()\n\n"
        "@app.websocket('/ws')\nasync def ws(websocket):\n    time.sleep(1)\n    await x()\n\n"
        "@app.get(PATH)\nasync def dynamic():\n    time.sleep(1)\n    await x()\n\n"
        "@app.get('/evil\\n::error::x')\nasync def evil():\n    time.sleep(1)\n    await x()\n"
    )
    found = [d.message.split(" blocks the event loop in ")[1].split(";")[0]
             for d in check_source(path.read_bytes(), str(path), Settings()).diagnostics]
    assert found == [
        "async endpoint `read_user` (GET /users/{user_id})",
        "async endpoint `sync` (GET|POST /sync)",
        "websocket endpoint `ws` (WEBSOCKET /ws)",
        "async endpoint `dynamic`",  # the path is not a literal: no label
        "async endpoint `evil` (GET /evil\\n::error::x)",  # one line, whatever the decorator holds
    ], found


def test_fpf104_names_the_program_it_waits_for():
    source = (
        "import asyncio, os, subprocess\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "@app.post('/c')\nasync def convert(cmd: list, name: str):\n"
        "    await asyncio.sleep(0)\n"
        "    subprocess.run(['/usr/bin/ffmpeg', '-i', name])\n"
        "    os.system('sync && true')\n"
        "    subprocess.run(cmd)\n"
        "    subprocess.run(args=('C:\\\\tools\\\\conv.exe', name))\n"
        "    subprocess.run(['`rm -rf`'])\n"
    )
    result = check_source(source.encode(), "app.py", Settings())
    names = [d.message.partition(" blocks")[0] for d in result.diagnostics if d.code == "FPF104"]
    assert names == [
        "subprocess.run() (waiting for `ffmpeg`)",
        "os.system() (waiting for `sync`)",
        "subprocess.run()",
        "subprocess.run() (waiting for `conv.exe`)",
        "subprocess.run()",
    ]


def test_background_tasks_are_named_as_such():
    """Item 2 of issue 16: the entry a coroutine runs as, in the message."""
    source = (
        "import time\nfrom fastapi import BackgroundTasks, FastAPI\n"
        "from starlette.background import BackgroundTask\nfrom starlette.responses import JSONResponse\n"
        "app = FastAPI()\n"
        "async def send_email(to):\n    time.sleep(1)\n"
        "async def audit(event):\n    time.sleep(1)\n"
        "async def other(x):\n    time.sleep(1)\n"
        "class Queue:\n    def add_task(self, f):\n        pass\n"
        "@app.post('/signup')\n"
        "async def signup(to: str, background_tasks: BackgroundTasks, queue: Queue):\n"
        "    background_tasks.add_task(send_email, to)\n"
        "    queue.add_task(other)  # not FastAPI's BackgroundTasks\n"
        "    return JSONResponse({}, background=BackgroundTask(audit, 'signup'))\n"
    )
    result = check_source(source.encode(), "app.py", Settings())
    where = sorted(d.message.partition(" in ")[2].partition(";")[0] for d in result.diagnostics)
    assert where == ["background task `audit`", "background task `send_email`", "coroutine `other`"]


def test_a_loop_the_lifespan_spawns_is_a_lifespan_task(tmp_path: Path):
    """It runs beside the requests for the server's life: reported, and named as such; what the
    lifespan awaits runs once at startup: not reported."""
    source = (
        "import asyncio, time\nfrom contextlib import asynccontextmanager\nfrom fastapi import FastAPI\n"
        "async def poll_forever():\n    while True:\n        time.sleep(5)\n        await asyncio.sleep(1)\n"
        "async def warm():\n    time.sleep(1)\n"
        "@asynccontextmanager\nasync def lifespan(app):\n"
        "    task = asyncio.create_task(poll_forever())\n    await warm()\n    yield\n    task.cancel()\n"
        "app = FastAPI(lifespan=lifespan)\n"
    )
    path = tmp_path / "app.py"
    path.write_text(source)
    index = ProjectIndex.build([str(path)], [str(tmp_path)])
    with_project = check_source(source.encode(), str(path), Settings(), project=index, on_disk=True).diagnostics
    assert [(d.line, d.message.partition(" in ")[2].partition(";")[0]) for d in with_project] == [
        (6, "lifespan task `poll_forever`")
    ]
    alone = check_source(source.encode(), "app.py", Settings()).diagnostics  # stdin: no project
    assert (6, "lifespan task `poll_forever`") in [
        (d.line, d.message.partition(" in ")[2].partition(";")[0]) for d in alone
    ]
