"""Reach (analysis/reach.py): blocking calls are reported where an entry point reaches them.

testdata/project/app/reach/ holds the cases, annotated like the rest of the project: a kernel on
a loop of its own in a thread, a client SDK and a script's coroutine stay silent; a plugin
loaded by name (a subclass of a class the server names), a handler registered by a decorator
and an object the lifespan builds are served."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import TESTDATA

from flake8_fastapi_perf.analysis.project import ProjectIndex
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import ConfigError, Settings, settings_from_table

PROJECT = TESTDATA / "project"
FILES = sorted(PROJECT.rglob("*.py"))
REACH = PROJECT / "app" / "reach"
SILENT = {  # (file, line) the entry points do not reach
    ("kernel.py", 9),  # Kernel.run_cell: asyncio.run in a thread's target
    ("daemons.py", 10),  # gc_daemon: started on a new event loop a thread runs
    ("workers.py", 16),  # ThreadWorker.step: named only in a nested def handed to a thread
    ("workers.py", 21),  # ProcessPool.step: through a multiprocessing context's Process target
    ("status.py", 14),  # BaseWorker.drain: an app factory's parameter, a method its code never uses
    ("status.py", 19),  # Worker.run_job: the same
    ("services.py", 14),  # ConfigService.load_config: a method only the lifespan awaits
    ("services.py", 18),  # ConfigService.load_plugins: only load_config awaits it
    ("services.py", 21),  # ConfigService.close_pool: after the lifespan's yield
    ("services.py", 75),  # seed_defaults: only the lifespan awaits it (`client.seed_defaults()` is not it)
    ("methods.py", 18),  # Exporter.export_to_archive: a live class's method no served code names
    ("client.py", 10),  # Client.fetch: no entry point names Client
    ("client.py", 14),  # export_all: run by a script through asyncio.run
}


def _findings(settings: Settings, files=FILES) -> set[tuple[str, int]]:
    index = ProjectIndex.build([str(f) for f in files], [str(PROJECT)])
    found = set()
    with index.session():
        for path in files:
            result = check_source(path.read_bytes(), str(path), settings, project=index, on_disk=True)
            assert result.error is None
            if path.parent == REACH:
                found.update((path.name, d.line) for d in result.diagnostics)
    return found


def test_what_no_entry_point_reaches_is_silent():
    found = _findings(Settings())
    assert not found & SILENT
    assert {("registry.py", 20), ("state.py", 8)} <= found


def test_a_plugin_loaded_by_name_is_served_through_its_base():
    index = ProjectIndex.build([str(f) for f in FILES], [str(PROJECT)])
    path = REACH / "plugins" / "resize.py"
    with index.session():
        result = check_source(path.read_bytes(), str(path), Settings(), project=index, on_disk=True)
    assert [d.line for d in result.diagnostics] == [10]


#: Silent in every mode: what runs on a loop of its own (what only ``asyncio.run`` awaits, through
#: methods too), or only at startup/shutdown.
OUTSIDE = {("daemons.py", 10), ("kernel.py", 9), ("workers.py", 16), ("workers.py", 21),
           ("services.py", 14), ("services.py", 18), ("services.py", 21), ("services.py", 75)}


def test_every_coroutine_setting_reports_them_all():
    found = _findings(Settings(every_coroutine=True))
    # but gc_daemon: what a served module starts on a loop of its own runs outside the server's
    # loop in every mode (as what it hands asyncio.run does), and so do the methods only such a
    # coroutine or the lifespan awaits
    assert SILENT - OUTSIDE <= found
    assert not OUTSIDE & found


def test_entry_points_setting_adds_entries():
    found = _findings(Settings(entry_points=("app.reach.client:Client",)))
    assert ("client.py", 10) in found
    assert ("client.py", 14) not in found and ("kernel.py", 9) not in found
    found = _findings(Settings(entry_points=("app.reach.client:export_all",)))
    assert ("client.py", 14) in found and ("client.py", 10) not in found


def test_a_project_without_entry_points_reports_every_coroutine(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("")
    lib = tmp_path / "lib.py"
    lib.write_text("import time\n\nasync def fetch():\n    time.sleep(1)\n")
    index = ProjectIndex.build([str(lib)], [str(tmp_path)])
    with index.session():
        result = check_source(lib.read_bytes(), str(lib), Settings(), project=index, on_disk=True)
    assert [d.code for d in result.diagnostics] == ["FPF101"]


def test_a_test_module_is_no_entry_point(tmp_path: Path):
    """Routes defined in tests (a test app) do not make a library a served project."""
    lib = tmp_path / "lib.py"
    lib.write_text("import time\n\nasync def fetch():\n    time.sleep(1)\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_app.py").write_text(
        "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/')\nasync def root():\n    return {}\n"
    )
    files = [lib, tests / "test_app.py"]
    index = ProjectIndex.build([str(f) for f in files], [str(tmp_path)])
    with index.session():
        result = check_source(lib.read_bytes(), str(lib), Settings(), project=index, on_disk=True)
    assert [d.code for d in result.diagnostics] == ["FPF101"]


@pytest.mark.parametrize("value, message", [
    (5, "expected a list"),
    (["app.main"], "is not"),
    (["app.main:1x"], "is not"),
])
def test_entry_points_are_checked(value, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_table({"entry-points": value}, "pyproject.toml")


def test_every_coroutine_is_a_boolean():
    with pytest.raises(ConfigError, match="every-coroutine: expected true or false"):
        settings_from_table({"every-coroutine": "yes"}, "pyproject.toml")
    assert settings_from_table({"every-coroutine": True}, "p").every_coroutine is True
    merged = Settings().merged(replace(Settings(), entry_points=("a:b",)))
    assert merged.entry_points == ("a:b",)


def test_a_finding_in_an_entry_point_needs_no_walk(tmp_path: Path, monkeypatch):
    """A blocking call in a route is reached whatever the rest of the project holds: the
    other modules are not parsed to answer it (nor does its cached result depend on them)."""
    import ast

    main = tmp_path / "main.py"
    main.write_text("import asyncio, time\nfrom fastapi import FastAPI\napp = FastAPI()\n\n"
                    "@app.get('/')\nasync def root():\n    time.sleep(1)\n    await asyncio.sleep(0)\n")
    other = tmp_path / "other.py"
    other.write_text("import time\n\nasync def unreached():\n    time.sleep(1)\n")
    parsed = []
    real_parse = ast.parse

    def counting(source, filename="<unknown>", *args, **kwargs):
        parsed.append(Path(filename).name)
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    index = ProjectIndex.build([str(main), str(other)], [str(tmp_path)])
    with index.session():
        result = check_source(main.read_bytes(), str(main), Settings(), project=index, on_disk=True)
    assert [d.line for d in result.diagnostics] == [7]
    assert "other.py" not in parsed
    assert str(main) not in index.reach_dependent
    with index.session():  # the other module's coroutine: the walk decides, and it is not reached
        result = check_source(other.read_bytes(), str(other), Settings(), project=index, on_disk=True)
    assert result.diagnostics == []


def test_messages_name_the_entry_point_a_coroutine_is_reached_from():
    index = ProjectIndex.build([str(f) for f in FILES], [str(PROJECT)])
    messages = {}
    with index.session():
        for path in FILES:
            result = check_source(path.read_bytes(), str(path), Settings(), project=index, on_disk=True)
            messages.update({(path.name, d.line): d.message for d in result.diagnostics})
    assert "in coroutine `on_signup` (reached from POST /events/{kind});" in messages[("registry.py", 20)]
    assert "in coroutine `Tracker.record` (reached from lifespan handler `tracker_lifespan`);" in messages[
        ("state.py", 8)]
    # a plugin class: through the base class the route names
    assert "in coroutine `Resize.run` (reached from POST /plugins/{name});" in messages[("resize.py", 10)]
    assert "in coroutine `shared` (reached from GET /shared);" in messages[("jobs.py", 26)]
    # an entry point itself is named as before, with no trail
    assert "blocks the event loop in async endpoint" in messages[("routes.py", 28)]
    assert "reached from" not in messages[("routes.py", 28)]


def test_the_entry_named_does_not_depend_on_the_order_of_the_files():
    """flake8's workers, pre-commit's batches and ``check`` name files in other orders: the
    trail (hence the message) is the same."""
    def messages(files):
        index = ProjectIndex.build([str(f) for f in files], [str(PROJECT)])
        found = {}
        with index.session():
            for path in files:
                result = check_source(path.read_bytes(), str(path), Settings(), project=index, on_disk=True)
                found.update({(str(path), d.line): d.message for d in result.diagnostics})
        return found

    forward = messages(FILES)
    assert any("reached from" in m for m in forward.values())
    assert messages(FILES[::-1]) == forward


def test_star_imports_of_modules_that_are_no_source_resolve_to_nothing_at_once(tmp_path: Path, monkeypatch):
    """``from pkg.encoding import *`` in ``pkg/__init__.py``, with ``encoding`` a compiled
    module (aim's ``aim.storage.encoding``), named ``pkg`` again: each step made the name one
    part longer, and two such imports doubled the names to try at each step (a check of aim
    that did not end)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from pkg.encoding import *\nfrom pkg.hashing import *\n")
    user = tmp_path / "user.py"
    user.write_text("from pkg import decode\n\nasync def f():\n    decode()\n")
    files = [pkg / "__init__.py", user]
    index = ProjectIndex.build([str(f) for f in files], [str(tmp_path)])
    calls = []
    real = index._locate

    def counting(*args):
        calls.append(args)
        if len(calls) > 20:
            pytest.fail(f"name resolution does not end: {args[1]}")
        return real(*args)

    monkeypatch.setattr(index, "_locate", counting)
    assert index.function(str(user), "pkg.decode") is None


def test_a_project_index_takes_what_the_reach_learnt_from_an_earlier_run(monkeypatch):
    """The records a result cache keeps (exports, entry points, references of each module,
    by the hash of its text) let the reach be computed again without parsing a module."""
    import ast

    from flake8_fastapi_perf.cache import content_hash

    paths = [str(f) for f in FILES]
    hashes = {str(f.resolve()): content_hash(f.read_bytes()) for f in FILES}
    first = ProjectIndex.build(paths, [str(PROJECT)])
    first.keeps_records = True
    first.settings = Settings()
    reach = first.reach()
    assert reach is not None
    records = first.records_json(hashes)
    assert {"exports", "entries", "summary"} <= set(records[str((PROJECT / "app" / "main.py").resolve())])
    parsed = []
    real_parse = ast.parse

    def counting(source, filename="<unknown>", *args, **kwargs):
        parsed.append(filename)
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    second = ProjectIndex.build(paths, [str(PROJECT)])
    second.load_records(records, hashes)
    second.settings = Settings()
    again = second.reach()
    assert again is not None and parsed == []
    assert again.functions == reach.functions and again.classes == reach.classes
    assert again.fingerprint() == reach.fingerprint()
    # a record of another text is not taken
    changed = dict(hashes)
    changed[str((PROJECT / "app" / "main.py").resolve())] = "0" * 32
    third = ProjectIndex.build(paths, [str(PROJECT)])
    third.load_records(records, changed)
    third.settings = Settings()
    assert third.reach().fingerprint() == reach.fingerprint()
    assert parsed and all(Path(p).name == "main.py" for p in parsed)


def _index_of(root: Path, records=None, hashes=None, reach=None, outside=None) -> ProjectIndex:
    from flake8_fastapi_perf.cache import content_hash

    files = sorted(root.rglob("*.py"))
    index = ProjectIndex.build([str(f) for f in files], [str(root)])
    index.keeps_records = True
    index.settings = Settings()
    current = {str(f.resolve()): content_hash(f.read_bytes()) for f in files}
    if records is not None:
        index.load_records(records, current, reach, outside)
    return index, current


CARRY_MAIN = """from contextlib import asynccontextmanager
from fastapi import FastAPI
from jobs import job, warm


@asynccontextmanager
async def lifespan(app):
    await warm()
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/")
async def index():
    await job()
"""
CARRY_JOBS = "import time\n\n\nasync def job():\n    time.sleep(1)\n\n\nasync def warm():\n    time.sleep(1)\n"


def _first_run(tmp_path: Path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.py").write_text(CARRY_MAIN)
    (root / "jobs.py").write_text(CARRY_JOBS)
    (root / "other.py").write_text("def helper():\n    return 1\n")
    index, hashes = _index_of(root)
    assert index.reach() is not None
    jobs = str((root / "jobs.py").resolve())
    assert index.outside_requests(jobs, "warm") is True and index.outside_requests(jobs, "job") is False
    return root, index.records_json(hashes), index.reach_json(), index.outside_json()


@pytest.mark.parametrize("name, edit, carried", [
    ("other.py", "def helper():\n    return 2\n", True),  # the same references: nothing to walk again
    ("other.py", "from jobs import job\n\n\ndef helper():\n    return job\n", True),  # not reached
    ("other.py", "class Plugin(Base):\n    pass\n", True),  # no live class is called Base
    ("main.py", CARRY_MAIN + "\n\nLIMIT = 3\n", True),
    ("main.py", CARRY_MAIN.replace("await job()", "await job(2)"), True),
    ("main.py", "import other\n" + CARRY_MAIN.replace("await job()", "await job(other.helper())"), False),
    ("main.py", CARRY_MAIN.replace('@app.get("/")', '@app.get("/other")'), False),  # the entry's label
    ("jobs.py", CARRY_JOBS.replace("async def warm", "async def cold"), False),  # its exports
])
def test_the_reach_of_an_earlier_run_is_carried_while_no_module_changed_what_it_read(tmp_path, monkeypatch, name,
                                                                                     edit, carried):
    from flake8_fastapi_perf.analysis.reach import Reach

    root, records, reach, outside = _first_run(tmp_path)
    (root / name).write_text(edit)
    index, _ = _index_of(root, records, reach=reach, outside=outside)
    walked = []
    real = Reach.compute
    monkeypatch.setattr(Reach, "compute", lambda self: walked.append(1) or real(self))
    again = index.reach()
    assert (walked == []) is carried
    assert again.fingerprint() == json.loads(reach["answer"])["fingerprint"] or not carried


@pytest.mark.parametrize("edit, unchanged", [
    ("def helper():\n    return 2\n", True),
    ("def helper():\n    return 'warm'\n", False),  # spells a name the answers looked for
    ("def helper():\n    return 1\n\n# the lifespan of the app\n", False),  # may register a handler
    ("import asyncio\n\n\ndef helper():\n    asyncio.run(main())\n", False),  # runs a coroutine outside
])
def test_startup_only_answers_are_carried_while_no_changed_module_may_change_them(tmp_path, edit, unchanged):
    root, records, reach, outside = _first_run(tmp_path)
    assert str((root / "jobs.py").resolve()) in outside["seen"] and "warm" in outside["needles"]
    (root / "other.py").write_text(edit)
    index, _ = _index_of(root, records, reach=reach, outside=outside)
    assert index.outside_unchanged() is unchanged
    (root / "jobs.py").write_text(CARRY_JOBS + "\n")  # a module the answers read
    index, _ = _index_of(root, records, reach=reach, outside=outside)
    assert index.outside_unchanged() is False


def test_a_cold_check_parses_each_file_once(monkeypatch, capsys):
    """``fastapi-perf check`` with no cache: the reach takes what it needs of each module from
    the module's own check (decided after the last file), so no file is parsed twice."""
    import ast
    from collections import Counter

    from flake8_fastapi_perf.cli import main

    parsed: Counter[str] = Counter()
    real_parse = ast.parse

    def counting(source, filename="<unknown>", *args, **kwargs):
        if str(filename).startswith(str(PROJECT)):
            parsed[filename] += 1
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    assert main(["check", "--no-cache", "--jobs", "1", str(PROJECT)]) == 1
    out = capsys.readouterr().out
    assert "reached from" in out
    assert parsed and max(parsed.values()) == 1, parsed.most_common(5)
