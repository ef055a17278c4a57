"""The result cache and ``--jobs``: a warm run gives the cold run's findings, and a file is
checked again when it, anything it imports (transitively), the set of files, the settings or
-- for startup-only coroutines -- any file of the project changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TESTDATA, fastapi_perf, parse_findings

ENDPOINT = """import asyncio
from fastapi import FastAPI
from {module} import work

app = FastAPI()


@app.get("/")
async def index():
    await asyncio.sleep(0)
    return work()
"""
BLOCKING = "import time\n\n\ndef work():\n    time.sleep(1)\n"
HARMLESS = "def work():\n    return 1\n"


def _check(root: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    return fastapi_perf("check", "--jobs", "1", *args, str(root), cwd=root, env={"FASTAPI_PERF_CACHE_DIR": str(cache)})


def _codes(proc: subprocess.CompletedProcess) -> list[tuple[str, int, str]]:
    return sorted((Path(f[0]).name, f[1], f[3]) for f in parse_findings(proc.stdout))


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/*.json"))


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_warm_run_reads_the_cache_and_a_changed_file_is_checked_again(tmp_path: Path):
    root = _project(tmp_path, {"app.py": ENDPOINT.format(module="helpers"), "helpers.py": BLOCKING})
    cache = tmp_path / "cache"
    cold = _check(root, cache)
    assert _codes(cold) == [("app.py", 11, "FPF107")]
    (stored,) = _cache_files(cache)
    # Prove the second run reads the cache: plant a message only the cache holds.
    data = json.loads(stored.read_text())
    entry = next(e for p, e in data["entries"].items() if p.endswith("app.py"))
    entry["diagnostics"][0][1] = "planted by the test"
    stored.write_text(json.dumps(data))
    warm = _check(root, cache)
    assert "planted by the test" in warm.stdout
    assert warm.returncode == 1
    # Touching the file without changing it keeps the entry; changing it does not.
    (root / "app.py").write_text(ENDPOINT.format(module="helpers") + "\n")
    again = _check(root, cache)
    assert "planted by the test" not in again.stdout
    assert _codes(again) == [("app.py", 11, "FPF107")]
    assert (root / ".fastapi_perf_cache").exists() is False  # the env var moved it


def test_a_change_in_an_imported_module_reaches_the_importer(tmp_path: Path):
    root = _project(tmp_path, {
        "app.py": ENDPOINT.format(module="mid"),
        "mid.py": "from leaf import slow\n\n\ndef work():\n    return slow()\n",
        "leaf.py": "def slow():\n    return 1\n",
    })
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == []
    (root / "leaf.py").write_text("import time\n\n\ndef slow():\n    time.sleep(1)\n")
    assert _codes(_check(root, cache)) == [("app.py", 11, "FPF107")]
    (root / "leaf.py").write_text("def slow():\n    return 2\n")
    assert _codes(_check(root, cache)) == []


LIFESPAN_MAIN = """from contextlib import asynccontextmanager
from fastapi import FastAPI
from tasks import warm


@asynccontextmanager
async def lifespan(app):
    await warm()
    yield


app = FastAPI(lifespan=lifespan)
"""
WARM_ROUTE = '\n\n@app.get("/")\nasync def index():\n    await warm()\n'
TASKS = "import time\n\n\nasync def warm():\n    time.sleep(1)\n"


def test_startup_only_coroutines_depend_on_the_whole_project(tmp_path: Path):
    root = _project(tmp_path, {"main.py": LIFESPAN_MAIN, "tasks.py": TASKS})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == []  # only run at startup
    # tasks.py does not import main.py; still, main.py now also awaits warm() per request
    (root / "main.py").write_text(LIFESPAN_MAIN + WARM_ROUTE)
    assert _codes(_check(root, cache)) == [("tasks.py", 5, "FPF101")]


def test_a_new_file_invalidates_resolution(tmp_path: Path):
    root = _project(tmp_path, {"app.py": ENDPOINT.format(module="pkg.helpers"), "pkg/__init__.py": ""})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == []
    (root / "pkg" / "helpers.py").write_text(BLOCKING)
    assert ("app.py", 11, "FPF107") in _codes(_check(root, cache))


def test_settings_are_part_of_the_key(tmp_path: Path):
    root = _project(tmp_path, {"app.py": ENDPOINT.format(module="helpers"), "helpers.py": BLOCKING})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == [("app.py", 11, "FPF107")]
    assert _codes(_check(root, cache, "--ignore", "FPF107")) == []
    (root / "pyproject.toml").write_text('[tool.fastapi-perf]\nallow = ["helpers.work"]\n')
    assert _codes(_check(root, cache)) == []


def test_no_cache_neither_reads_nor_writes(tmp_path: Path):
    root = _project(tmp_path, {"app.py": ENDPOINT.format(module="helpers"), "helpers.py": BLOCKING})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache, "--no-cache")) == [("app.py", 11, "FPF107")]
    assert not cache.exists()


def test_a_corrupt_cache_is_a_cold_cache(tmp_path: Path):
    root = _project(tmp_path, {"app.py": ENDPOINT.format(module="helpers"), "helpers.py": BLOCKING})
    cache = tmp_path / "cache"
    _check(root, cache)
    for stored in _cache_files(cache):
        stored.write_bytes(b"\x00not json")
    proc = _check(root, cache)
    assert _codes(proc) == [("app.py", 11, "FPF107")] and proc.stderr.count("\n") == 1  # "Found 1 finding."
    json.loads(_cache_files(cache)[0].read_text())  # rewritten whole


def test_the_default_cache_lives_in_the_project_root_and_ignores_itself(tmp_path: Path):
    root = _project(tmp_path, {"app.py": ENDPOINT.format(module="helpers"), "helpers.py": BLOCKING,
                               "pyproject.toml": "[project]\nname = 'x'\n"})
    proc = fastapi_perf("check", ".", cwd=root, env={"FASTAPI_PERF_CACHE_DIR": ""})
    assert proc.returncode == 1
    assert (root / ".fastapi_perf_cache" / ".gitignore").read_text().strip().endswith("*")
    # and the cache directory is never checked, even though it is inside the tree
    assert _codes(fastapi_perf("check", ".", cwd=root, env={"FASTAPI_PERF_CACHE_DIR": ""})) == [("app.py", 11, "FPF107")]


def test_concurrent_runs_leave_a_valid_cache(tmp_path: Path):
    root = _project(tmp_path, {f"m{i}.py": ENDPOINT.format(module="helpers") for i in range(20)} | {"helpers.py": BLOCKING})
    cache = tmp_path / "cache"
    env = {**{k: v for k, v in __import__("os").environ.items()}, "FASTAPI_PERF_CACHE_DIR": str(cache)}
    procs = [
        subprocess.Popen([sys.executable, "-m", "flake8_fastapi_perf.cli", "check", "--jobs", "1", str(root)],
                         cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 1 for p in procs)
    assert len({out for out, _ in outputs}) == 1
    for stored in _cache_files(cache):
        json.loads(stored.read_text())
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("fmt", ["concise", "json"])
def test_jobs_give_the_same_output_in_the_same_order(fmt: str):
    trees = [str(TESTDATA / name) for name in ("rules", "demo_app", "project", "lnbits_like")]
    one = fastapi_perf("check", "--no-cache", "--jobs", "1", "--output-format", fmt, *trees)
    two = fastapi_perf("check", "--no-cache", "--jobs", "2", "--output-format", fmt, *trees)
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stdout
    assert one.stderr == two.stderr


def test_fix_with_jobs(tmp_path: Path):
    import shutil

    copy = tmp_path / "fixes"
    shutil.copytree(TESTDATA / "fixes", copy)
    for fixed in copy.glob("*.fixed.py"):
        fixed.unlink()
    serial = fastapi_perf("check", "--no-cache", "--jobs", "1", "--diff", str(copy))
    parallel = fastapi_perf("check", "--no-cache", "--jobs", "2", "--diff", str(copy))
    assert serial.stdout == parallel.stdout and serial.stdout.startswith("---")
    assert serial.stderr == parallel.stderr


def test_jobs_must_be_a_count():
    proc = fastapi_perf("check", "--jobs", "x", str(ROOT / "testdata" / "demo_app"))
    assert proc.returncode == 2 and "--jobs" in proc.stderr


def test_a_file_checked_alone_is_cached_against_its_whole_project(tmp_path: Path):
    """``check app.py`` (pre-commit with the changed files) indexes the project around it: a
    change in a module it did not check reaches its entry, and an unchanged project reuses it."""
    root = _project(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", "app.py": ENDPOINT.format(module="helpers"),
                               "helpers.py": HARMLESS})

    def check_app() -> subprocess.CompletedProcess:
        return fastapi_perf("check", "--jobs", "1", "app.py", cwd=root,
                            env={"FASTAPI_PERF_CACHE_DIR": str(tmp_path / "cache")})

    assert _codes(check_app()) == []
    (root / "helpers.py").write_text(BLOCKING)  # not checked, but the chain goes into it
    assert _codes(check_app()) == [("app.py", 11, "FPF107")]
    (stored,) = _cache_files(tmp_path / "cache")
    data = json.loads(stored.read_text())
    assert [Path(p).name for p in data["entries"]] == ["app.py"]
    assert [Path(p).name for p in data["seen"]] == ["helpers.py"]
    entry = next(iter(data["entries"].values()))
    entry["diagnostics"][0][1] = "planted by the test"
    stored.write_text(json.dumps(data))
    assert "planted by the test" in check_app().stdout  # nothing changed: the entry holds
    (root / "helpers.py").write_text(HARMLESS)
    assert _codes(check_app()) == []


def _plant(cache: Path, name: str) -> None:
    """Replace the message of the first finding of ``name``'s entry: it shows only while the
    entry is reused."""
    (stored,) = _cache_files(cache)
    data = json.loads(stored.read_text())
    entry = next(e for p, e in data["entries"].items() if Path(p).name == name)
    entry["diagnostics"][0][1] = "planted by the test"
    stored.write_text(json.dumps(data))


REACHED_MAIN = """import asyncio
from fastapi import FastAPI
from jobs import job

app = FastAPI()


@app.get("/")
async def index():
    await job()
"""
REACHED_JOBS = "import time\n\n\nasync def job():\n    time.sleep(1)\n"


def test_findings_that_depend_on_the_reach_are_kept_while_the_reach_is_the_same(tmp_path: Path):
    """jobs.py imports nothing: whether its coroutine is reported depends on what the entry
    points reach.  An edit elsewhere that changes no reference keeps its entry; an edit that
    makes the coroutine unreached checks it again."""
    root = _project(tmp_path, {"main.py": REACHED_MAIN, "jobs.py": REACHED_JOBS, "other.py": HARMLESS})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == [("jobs.py", 5, "FPF101")]
    _plant(cache, "jobs.py")
    (root / "other.py").write_text(HARMLESS.replace("1", "2"))  # a real edit, not of the reach
    (root / "main.py").write_text(REACHED_MAIN + "\n\nLIMIT = 3\n")  # nor is this one
    assert "planted by the test" in _check(root, cache).stdout
    (root / "main.py").write_text(REACHED_MAIN.replace("await job()", "return 1"))
    assert _codes(_check(root, cache)) == []  # no entry point reaches job() any more
    (root / "main.py").write_text(REACHED_MAIN)
    assert _codes(_check(root, cache)) == [("jobs.py", 5, "FPF101")]


SPAWNING_MAIN = """import asyncio
from fastapi import FastAPI
from hooks import Hooks

app = FastAPI()


@app.get("/")
async def index():
    asyncio.create_task(Hooks().emit())
"""
QUIET_HOOKS = "class Hooks:\n    async def emit(self):\n        return 1\n"


def test_a_dropped_task_depends_on_what_its_coroutine_awaits_elsewhere(tmp_path: Path):
    """FPF504 in main.py depends on whether a coroutine of another module can suspend (the
    reach knows): an edit there that makes it wait reports the task again, and the edit undone
    makes it silent again."""
    root = _project(tmp_path, {"main.py": SPAWNING_MAIN, "hooks.py": QUIET_HOOKS})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == []
    (root / "hooks.py").write_text(QUIET_HOOKS.replace("return 1", "await asyncio.sleep(1)"))
    assert _codes(_check(root, cache)) == [("main.py", 10, "FPF504")]
    (root / "hooks.py").write_text(QUIET_HOOKS)
    assert _codes(_check(root, cache)) == []


def test_startup_only_answers_are_asked_again_not_thrown_away(tmp_path: Path):
    root = _project(tmp_path, {"main.py": LIFESPAN_MAIN + WARM_ROUTE, "tasks.py": TASKS, "other.py": HARMLESS})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == [("tasks.py", 5, "FPF101")]
    (stored,) = _cache_files(cache)
    entry = next(e for p, e in json.loads(stored.read_text())["entries"].items() if p.endswith("tasks.py"))
    assert entry["outside"] == [["warm", False]]  # the answer it depends on is kept
    _plant(cache, "tasks.py")
    (root / "other.py").write_text(HARMLESS.replace("1", "2"))
    assert "planted by the test" in _check(root, cache).stdout  # asked again: the same answer
    (root / "main.py").write_text(LIFESPAN_MAIN)  # now only the lifespan awaits it
    assert _codes(_check(root, cache)) == []


def test_module_records_of_another_shape_are_learnt_again(tmp_path: Path):
    root = _project(tmp_path, {"main.py": REACHED_MAIN, "jobs.py": REACHED_JOBS})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == [("jobs.py", 5, "FPF101")]
    (stored,) = _cache_files(cache)
    data = json.loads(stored.read_text())
    assert {Path(p).name for p in data["modules"]} == {"main.py", "jobs.py"}
    for record in data["modules"].values():
        record["summary"] = {"f": "not a mapping"}
        record["exports"] = ["wrong"]
        record["entries"] = [[1, 2]]
    stored.write_text(json.dumps(data))
    (root / "main.py").write_text(REACHED_MAIN + "\nLIMIT = 3\n")
    assert _codes(_check(root, cache)) == [("jobs.py", 5, "FPF101")]


def test_entry_points_and_unserved_settings_are_part_of_the_key(tmp_path: Path):
    lib = "import time\n\n\nasync def serve():\n    time.sleep(1)\n"
    root = _project(tmp_path, {"main.py": REACHED_MAIN, "jobs.py": REACHED_JOBS, "lib.py": lib})
    cache = tmp_path / "cache"
    assert _codes(_check(root, cache)) == [("jobs.py", 5, "FPF101")]
    (root / "pyproject.toml").write_text('[tool.fastapi-perf]\nentry-points = ["lib:serve"]\n')
    assert _codes(_check(root, cache)) == [("jobs.py", 5, "FPF101"), ("lib.py", 5, "FPF101")]
    (root / "pyproject.toml").write_text('[tool.fastapi-perf]\nextend-unserved = ["jobs.py"]\n')
    assert _codes(_check(root, cache)) == []


def test_the_dependencies_are_what_the_chains_resolved_through(tmp_path: Path):
    """A file's entry depends on the modules its calls were resolved through (a re-export, a
    base class in a third module), whether checked or not; a module it imports only a constant
    from is none of them."""
    app = """import asyncio
from fastapi import FastAPI
from pkg import work
from svc import Service
from config import LIMIT

app = FastAPI()


@app.get("/a")
async def a():
    await asyncio.sleep(0)
    return work()


@app.get("/b")
async def b():
    service = Service()
    await asyncio.sleep(0)
    return service.get(LIMIT)
"""
    root = _project(tmp_path, {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "app.py": app,
        "pkg/__init__.py": "from .impl import work\n",
        "pkg/impl.py": BLOCKING,
        "svc.py": "from base import Base\n\n\nclass Service(Base):\n    pass\n",
        "base.py": "import time\n\n\nclass Base:\n    def get(self, n):\n        time.sleep(n)\n",
        "config.py": "LIMIT = 1\n",
    })
    cache = tmp_path / "cache"

    def check_app() -> list[tuple[str, int, str]]:
        return _codes(fastapi_perf("check", "--jobs", "1", "app.py", cwd=root, env={"FASTAPI_PERF_CACHE_DIR": str(cache)}))

    both = [("app.py", 13, "FPF107"), ("app.py", 20, "FPF107")]
    assert check_app() == both
    _plant(cache, "app.py")
    (root / "config.py").write_text("LIMIT = 2\n")
    assert "planted by the test" in fastapi_perf("check", "--jobs", "1", "app.py", cwd=root,
                                                 env={"FASTAPI_PERF_CACHE_DIR": str(cache)}).stdout
    (root / "pkg" / "impl.py").write_text(HARMLESS)  # behind a re-export, not checked
    assert check_app() == [("app.py", 20, "FPF107")]
    (root / "base.py").write_text("class Base:\n    def get(self, n):\n        return n\n")  # a base class's module
    assert check_app() == []
    (root / "base.py").write_text("import time\n\n\nclass Base:\n    def get(self, n):\n        time.sleep(n)\n")
    assert check_app() == [("app.py", 20, "FPF107")]
