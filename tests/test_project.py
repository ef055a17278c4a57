"""The project index: FPF107 across modules, module names and roots, parse-once, startup-only
coroutines.  testdata/project/ is a small multi-package app annotated with ``# error:`` for the
findings a project run reports."""

from __future__ import annotations

import ast
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import TESTDATA, expected_findings, fastapi_perf, flake8, parse_findings, run

from flake8_fastapi_perf.analysis import project as project_module
from flake8_fastapi_perf.analysis.project import ProjectIndex
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings

PROJECT = TESTDATA / "project"
FILES = sorted(PROJECT.rglob("*.py"))
APP = PROJECT / "app"


def _index(files=FILES, roots=(PROJECT,)) -> ProjectIndex:
    return ProjectIndex.build([str(f) for f in files], [str(r) for r in roots])


def _run(index: ProjectIndex | None, files=FILES, settings: Settings | None = None) -> dict[Path, list]:
    found = {}
    for path in files:
        result = check_source(path.read_bytes(), str(path), settings or Settings(), project=index, on_disk=True)
        assert result.error is None
        found[path] = result.diagnostics
    return found


def _messages(found: dict[Path, list], path: Path) -> dict[int, str]:
    return {d.line: d.message for d in found[path]}


def test_there_is_a_project():
    assert len(FILES) >= 15
    assert not (APP / "ns" / "__init__.py").exists()  # a namespace package


@pytest.mark.parametrize("retain", [None, 0], ids=["budget", "no-budget"])
@pytest.mark.parametrize("session", [False, True], ids=["plain", "session"])
@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_findings_match_annotations(order: str, session: bool, retain: int | None, monkeypatch):
    if retain is not None:  # every tree not in hand goes at once: chains walk with trees coming and going
        monkeypatch.setattr(project_module, "RETAIN_BYTES", retain)
    files = FILES if order == "sorted" else FILES[::-1]
    index = _index()
    if session:
        with index.session():
            found = _run(index, files)
    else:
        found = _run(index, files)
    for path in FILES:
        expected = expected_findings(path)
        got = Counter((d.line, d.code) for d in found[path])
        assert sorted((expected - got).elements()) == [], f"{path}: missing findings"
        assert sorted((got - expected).elements()) == [], f"{path}: unexpected findings"


def test_results_do_not_depend_on_order_or_retention():
    def texts(found):
        return {str(p): [(d.line, d.col, d.code, d.message) for d in ds] for p, ds in found.items()}

    baseline = texts(_run(_index()))
    assert texts(_run(_index(), FILES[::-1])) == baseline
    index = _index()
    with index.session():
        assert texts(_run(index, FILES[::-1])) == baseline
    for order in (FILES, FILES[::-1]):  # texts read again from disk when their tree is gone
        index = _index()
        index.keep_sources = False
        with index.session():
            assert texts(_run(index, order)) == baseline
        assert set(index._sources) <= set(index._live)  # no text without its tree


def test_without_a_project_helpers_stay_in_their_module():
    found = _run(None)
    routes = APP / "api" / "routes.py"
    # only the same-module chain is known: load_local() -> remote.fetch() is not followed
    assert [d.code for d in found[routes]] == []
    assert [d.code for d in found[APP / "a" / "views.py"]] == []
    # and config.py alone cannot know that init_db is only awaited at startup
    config = {d.line for d in found[APP / "config.py"]}
    assert {11, 23, 27, 39} <= config  # init_db, migrate, load_settings, ping_a
    # an @asynccontextmanager named lifespan is one, whoever registers it: the module tells;
    # another async context manager is not
    assert [(d.line, d.code) for d in found[APP / "lifespan.py"]] == [(15, "FPF103")]


def test_messages_name_the_chain_across_modules():
    found = _run(_index())
    routes = _messages(found, APP / "api" / "routes.py")
    assert routes[28].startswith("app.helpers.load() -> requests.get() blocks the event loop in async endpoint `relative`")
    assert "use await run_in_threadpool(load, ...)" in routes[28]
    assert routes[29].startswith("app.helpers.load_all() -> app.helpers.load() -> requests.get()")
    # a local helper first: it stays unqualified, the other module's helper is qualified
    assert routes[36].startswith("load_local() -> app.services.remote.fetch() -> requests.get()")
    assert "run_in_threadpool(load_local, ...)" in routes[36]
    # the advice spells the helper as the call site does
    assert "run_in_threadpool(remote.fetch, ...)" in routes[37]
    assert "run_in_threadpool(r.fetch, ...)" in routes[43]
    # re-exports: the chain names the module that defines the helper
    assert routes[49].startswith("app.services.remote.fetch() -> requests.get()")
    assert routes[50].startswith("app.services.remote.fetch() -> requests.get()")
    assert "run_in_threadpool(services.fetch, ...)" in routes[50]
    assert routes[51].startswith("app.services.store.save() -> sqlite3.connect()")
    assert routes[52].startswith("app.services.remote.Client.ping() -> requests.head()")
    assert routes[59].startswith("app.a.utils.work() -> time.sleep()")
    assert routes[66].startswith("app.ns.tool.crunch() -> subprocess.run()")
    assert routes[73].startswith("app.cycle_a.ping() -> app.cycle_b.pong() -> open()")
    views = _messages(found, APP / "a" / "views.py")
    assert "(app.a.utils.work() -> time.sleep() at line 7 of app.a.utils)" in views[9]  # FPF110: its own line
    assert "run_in_threadpool(work, ...)" in views[17]


def test_same_named_modules_are_not_confused():
    index = _index()
    a_views, b_views, routes = (str(APP / "a" / "views.py"), str(APP / "b" / "views.py"),
                                str(APP / "api" / "routes.py"))
    a = index.function(project_module._norm(a_views), ".utils.work")
    b = index.function(project_module._norm(b_views), ".utils.work")
    assert a is not None and b is not None
    assert a.path.endswith(str(Path("app", "a", "utils.py"))) and a.module == "app.a.utils"
    assert b.path.endswith(str(Path("app", "b", "utils.py"))) and b.module == "app.b.utils"
    from_routes = project_module._norm(routes)
    assert index.function(from_routes, "app.b.utils.work").path == b.path
    assert index.function(from_routes, "app.a.utils.work").path == a.path


@pytest.mark.parametrize(
    ("name", "module", "qualname"),
    [
        ("..helpers.load", "app.helpers", "load"),  # relative, two levels
        ("app.services.remote.fetch", "app.services.remote", "fetch"),
        ("app.services.fetch", "app.services.remote", "fetch"),  # re-export through __init__
        ("app.services.save", "app.services.store", "save"),  # star re-export
        ("app.services.remote.Client.ping", "app.services.remote", "Client.ping"),
        ("app.ns.tool.crunch", "app.ns.tool", "crunch"),  # namespace package
        ("..services.remote.fetch", "app.services.remote", "fetch"),
    ],
)
def test_resolution(name: str, module: str, qualname: str):
    index = _index()
    ref = index.function(project_module._norm(str(APP / "api" / "routes.py")), name)
    assert ref is not None
    assert (ref.module, ref.qualname, ref.is_async) == (module, qualname, False)


@pytest.mark.parametrize(
    "name",
    ["requests.get", "app.services.remote", "app.services.remote.missing", "app.services.remote.Client",
     "app.nothing.here", "...too.far.up", "app.config.init_db.x"],
)
def test_what_does_not_resolve(name: str):
    assert _index().function(project_module._norm(str(APP / "api" / "routes.py")), name) is None


def test_module_names():
    index = _index()
    assert index.module_name(str(APP / "services" / "remote.py")) == "app.services.remote"
    assert index.module_name(str(APP / "services" / "__init__.py")) == "app.services"
    assert index.module_name(str(APP / "ns" / "tool.py")) == "app.ns.tool"


def _write(root: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


ENDPOINT = """
import asyncio
from fastapi import FastAPI
{imports}
app = FastAPI()

@app.get("/")
async def endpoint():
    await asyncio.sleep(0)
    {call}
"""
HELPER = "import time\n\ndef work():\n    time.sleep(1)\n"


def _count_parses(monkeypatch) -> Counter:
    """File name -> times the index parses it (from now on)."""
    parsed: Counter = Counter()
    real_parse = project_module._parse

    def counting(source, filename):
        parsed[Path(filename).name] += 1
        return real_parse(source, filename)

    monkeypatch.setattr(project_module, "_parse", counting)
    return parsed


def _fpf107(index: ProjectIndex, path: Path) -> list[str]:
    result = check_source(path.read_bytes(), str(path), Settings(), project=index)
    return [d.message for d in result.diagnostics if d.code == "FPF107"]


def test_src_layout(tmp_path: Path):
    paths = _write(tmp_path, {
        "src/shop/__init__.py": "",
        "src/shop/api.py": ENDPOINT.format(imports="from shop.slow import work", call="work()"),
        "src/shop/slow.py": HELPER,
    })
    index = ProjectIndex.build([str(p) for p in paths], [str(tmp_path)])
    assert index.module_name(str(paths[2])) == "shop.slow"
    assert _fpf107(index, paths[1]) and _fpf107(index, paths[1])[0].startswith("shop.slow.work() -> time.sleep()")


def test_flat_layout_named_on_the_command_line(tmp_path: Path):
    # no __init__.py anywhere: run as ``uvicorn main:app`` from service/
    paths = _write(tmp_path, {
        "service/main.py": ENDPOINT.format(imports="import slow", call="slow.work()"),
        "service/slow.py": HELPER,
    })
    index = ProjectIndex.build([str(p) for p in paths], [str(tmp_path / "service")])
    assert index.module_name(str(paths[1])) == "slow"
    assert _fpf107(index, paths[0])[0].startswith("slow.work() -> time.sleep()")


def test_scripts_next_to_each_other_import_their_own_sibling(tmp_path: Path):
    paths = _write(tmp_path, {
        "one/main.py": ENDPOINT.format(imports="import utils", call="utils.work()"),
        "one/utils.py": HELPER,
        "two/main.py": ENDPOINT.format(imports="import utils", call="utils.work()"),
        "two/utils.py": "def work():\n    return 1\n",
    })
    index = ProjectIndex.build([str(p) for p in paths])  # no roots: each directory is its own
    assert len(_fpf107(index, paths[0])) == 1
    assert _fpf107(index, paths[2]) == []


def test_cycles_of_re_exports_and_helpers_terminate(tmp_path: Path):
    paths = _write(tmp_path, {
        "pkg/__init__.py": "from .a import f\n",
        "pkg/a.py": "from . import f\nfrom .b import g\n\ndef h():\n    return g()\n",
        "pkg/b.py": "from .a import h\n\ndef g():\n    return h()\n",
        "pkg/api.py": ENDPOINT.format(imports="from pkg import f, a", call="f(); a.h()"),
    })
    index = ProjectIndex.build([str(p) for p in paths], [str(tmp_path)])
    api = index.function(project_module._norm(str(paths[3])), "pkg.f")
    assert api is None  # f is only ever imported, never defined
    assert _fpf107(index, paths[3]) == []  # h -> g -> h: no blocking call anywhere


def _same_findings(proc) -> set[tuple]:
    """Findings as (absolute path, line, col, code, message)."""
    return {(str(Path(f[0]).resolve()), *f[1:]) for f in parse_findings(proc.stdout)}


def test_one_file_alone_gets_the_answer_of_the_whole_project():
    """flake8 in an editor, pre-commit with the changed files: the file's project is indexed
    (the repository around testdata/project), so its cross-module chains are found."""
    routes = str((APP / "api" / "routes.py").relative_to(PROJECT.parent.parent))
    whole = {f for f in _same_findings(fastapi_perf("check", "--no-cache", str(PROJECT)))
             if f[0].endswith(os.path.join("api", "routes.py"))}
    assert any(f[3] == "FPF107" for f in whole)
    assert _same_findings(flake8("--isolated", "--select", "FPF", routes)) == whole
    assert _same_findings(fastapi_perf("check", "--no-cache", routes)) == whole
    # an editor's buffer on stdin, named after its file: the same
    text = (APP / "api" / "routes.py").read_text()
    assert _same_findings(run([sys.executable, "-m", "flake8_fastapi_perf.cli", "check", "--no-cache",
                               "--stdin-filename", routes, "-"], stdin=text)) == whole
    assert _same_findings(run([sys.executable, "-m", "flake8", "--isolated", "--select", "FPF",
                               "--stdin-display-name", routes, "-"], stdin=text)) == whole
    # a new buffer not saved yet: its directory's project all the same
    new = routes.replace("routes.py", "not_saved_yet.py")
    assert not os.path.exists(new)
    for args in (["-m", "flake8_fastapi_perf.cli", "check", "--no-cache", "--stdin-filename", new, "-"],
                 ["-m", "flake8", "--isolated", "--select", "FPF", "--stdin-display-name", new, "-"]):
        found = parse_findings(run([sys.executable, *args], stdin=text).stdout)
        assert sorted((f[1], f[3]) for f in found) == sorted((f[1], f[3]) for f in whole), args


def test_flake8_and_check_agree_on_a_project(tmp_path: Path):
    """``flake8 --select FPF .`` and ``fastapi-perf check .`` print the same findings, cross-module
    chains and code only tests run included."""
    import shutil

    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    (copy / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    checked = _same_findings(fastapi_perf("check", "--no-cache", ".", cwd=copy))
    assert len(checked) >= 20 and any("app.vault.get_secret" in f[4] for f in checked)
    assert _same_findings(flake8("--isolated", "--select", "FPF", ".", cwd=copy)) == checked
    assert _same_findings(flake8("--isolated", "--select", "FPF", "-j", "2", ".", cwd=copy)) == checked


def test_each_file_is_parsed_at_most_once(monkeypatch):
    parsed: Counter = Counter()
    real_parse = ast.parse

    def counting(source, filename="<unknown>", *args, **kwargs):
        if isinstance(source, bytes):
            parsed[Path(filename).resolve()] += 1
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    index = _index()
    with index.session():
        _run(index)
    assert parsed and max(parsed.values()) == 1, parsed
    # a helper module without async is parsed because a coroutine calls into it...
    assert parsed[(APP / "helpers.py").resolve()] == 1
    # ...a file no chain and no entry point needs is not
    assert parsed[(PROJECT / "scripts" / "seed.py").resolve()] == 1  # (checked, not indexed twice)


def test_building_reads_nothing():
    index = _index()
    assert index._sources == {} and index._live == {}


def test_settings_apply_to_other_modules():
    routes = APP / "api" / "routes.py"
    allowed = _run(_index(), [routes], Settings(allow=frozenset({"app.services.remote.fetch"})))[routes]
    lines = {d.line for d in allowed}
    assert not lines & {36, 37, 43, 49, 50}  # fetch is allowed: not followed, not reported
    assert {28, 51, 52} <= lines
    extended = _run(_index(), [routes], Settings(extend_blocking=(("app.helpers.parse", "FPF102"),)))[routes]
    assert (27, "FPF102") in {(d.line, d.code) for d in extended}  # the table wins over the index


@pytest.mark.parametrize("keep_sources", [True, False], ids=["texts-kept", "texts-dropped"])
def test_a_changed_file_replaces_what_the_index_knew(keep_sources: bool):
    index = _index()
    index.keep_sources = keep_sources  # False: helpers.py's text goes with its tree, its hash stays
    routes, helpers = APP / "api" / "routes.py", APP / "helpers.py"
    before = {d.line for d in _run(index, [routes])[routes]}
    assert 28 in before
    calm = helpers.read_bytes().replace(b"return requests.get(url, timeout=5).json()", b"return url")
    assert (str(helpers) in str(index._sources)) is keep_sources
    assert check_source(calm, str(helpers), Settings(), project=index).error is None  # e.g. from stdin
    after = {d.line for d in _run(index, [routes])[routes]}
    assert 28 not in after and 29 not in after
    assert after == before - {28, 29}


# -- coroutines that only run at startup/shutdown ------------------------------------------------


def test_startup_only_coroutines():
    index = _index()
    _run(index)  # any order of checks; the facts are about the whole project
    config = str(APP / "config.py")
    path = project_module._norm(config)
    module = index._load(path)
    functions = module.info.functions
    only_startup = {name for name in functions if functions[name].is_async and index.outside_requests(config, name)}
    assert only_startup == {"init_db", "setup_all", "migrate", "load_settings", "ping_a", "ping_b"}


def test_a_partial_project_does_not_know_every_caller():
    # main.py (the startup handler, the routes) is not part of the index: config.py alone has
    # no entry point (a library): its coroutines stay reported, the startup-only ones too
    found = _run(_index([APP / "config.py"]), [APP / "config.py"])
    assert {11, 48, 56} <= {d.line for d in found[APP / "config.py"]}


def test_a_coroutine_also_used_elsewhere_is_reported(tmp_path: Path):
    paths = _write(tmp_path, {
        "app/__init__.py": "",
        "app/jobs.py": "import time\n\nasync def warm():\n    time.sleep(1)\n",
        "app/main.py": (
            "from fastapi import FastAPI\nfrom .jobs import warm\n\napp = FastAPI()\n\n"
            "@app.on_event('startup')\nasync def start():\n    await warm()\n\n"
            "def schedule(loop):\n    loop.create_task(warm())\n"
        ),
    })
    index = ProjectIndex.build([str(p) for p in paths], [str(tmp_path)])
    jobs = check_source(paths[1].read_bytes(), str(paths[1]), Settings(), project=index)
    assert [d.code for d in jobs.diagnostics] == ["FPF101"]  # also scheduled as a task


def test_the_startup_search_parses_only_files_naming_a_handler_keyword(tmp_path: Path, monkeypatch):
    """``emit_completion_event`` holds ``on_event`` and ``app_lifespan_seconds`` holds
    ``lifespan``, but only whole words can register a handler: those files are not parsed to
    look for handlers; the registrations (``lifespan=``, ``.on_event``, ...) are still found."""
    paths = _write(tmp_path, {
        "app/__init__.py": "",
        "app/jobs.py": "import time\n\nasync def warm():\n    time.sleep(1)\n\nasync def cold():\n    time.sleep(1)\n",
        "app/events.py": "def emit_completion_event():\n    pass\n\napp_lifespan_seconds = 3\n",
        "app/main.py": (
            "from fastapi import FastAPI\nfrom .jobs import warm, cold\n\napp = FastAPI()\n\n"
            "@app.on_event('startup')\nasync def start():\n    await warm()\n\n"
            "async def stop():\n    await cold()\n\napp.add_event_handler('shutdown', stop)\n"
        ),
    })
    index = ProjectIndex.build([str(p) for p in paths], [str(tmp_path)])
    parsed = _count_parses(monkeypatch)
    with index.session():
        jobs = check_source(paths[1].read_bytes(), str(paths[1]), Settings(), project=index)
    assert jobs.diagnostics == []  # warm and cold only run at startup/shutdown
    assert parsed["main.py"] == 1
    assert parsed["events.py"] == 0, parsed


def test_fix_mode_sees_what_check_sees(tmp_path: Path):
    """``--fix`` fixes and reports the findings of a project run: cross-module FPF107 stay among
    the remaining ones, and coroutines the project only runs at startup are left alone."""
    import shutil

    from conftest import fastapi_perf

    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    checked = fastapi_perf("check", str(copy))
    before = {(f[1], f[3]) for f in parse_findings(checked.stdout) if f[0].endswith("config.py")}
    fixed = fastapi_perf("check", "--fix", str(copy))
    remaining = parse_findings(fixed.stdout)
    assert "Fixed 25 findings (22 remaining" in fixed.stderr, fixed.stderr
    # tasks of coroutines that never suspend (FPF504, silent in a project run): left as they are
    tasks = [line.strip() for line in (copy / "app" / "reach" / "tasks.py").read_text().splitlines()]
    for quiet in ("asyncio.create_task(bump(name))", "asyncio.create_task(self.hooks.observe(name))",
                  "asyncio.create_task(count_event(name))", "asyncio.ensure_future(gauge(name))"):
        assert any(line.startswith(quiet) for line in tasks), quiet
    assert not any(line.startswith("asyncio.create_task(notify(name))") for line in tasks)
    assert sum(1 for f in remaining if f[3] == "FPF107") == sum(
        1 for f in parse_findings(checked.stdout) if f[3] == "FPF107"
    )
    config = (copy / "app" / "config.py").read_text()
    original = (APP / "config.py").read_text().splitlines()
    lines = config.splitlines()
    # line 11 and 39: blocking calls in startup-only coroutines (not reported by check): untouched
    assert lines[10] == original[10] and "time.sleep" in lines[10]
    assert lines[38] == original[38] and "time.sleep" in lines[38]
    assert (11, "FPF101") not in before
    # code no server runs (a CLI command, asyncio.run, the tests, a script): not fixed either
    assert (copy / "app" / "jobs.py").read_text() == (APP / "jobs.py").read_text()
    assert (copy / "app" / "cli.py").read_text() == (APP / "cli.py").read_text()
    assert (copy / "tests" / "test_jobs.py").read_text() == (PROJECT / "tests" / "test_jobs.py").read_text()
    assert (copy / "scripts" / "seed.py").read_text() == (PROJECT / "scripts" / "seed.py").read_text()


# -- names resolved from the text of a module not parsed ------------------------------------------

_HELPERS = '''"""Helpers.

def fake(): a def in the docstring, at column 0
"""
import os
from json import loads as parse_json

import shutil as archive


def plain(x):
    return os.listdir(x)


async def coro():
    return 1


def gen():
    yield 1


def outer():
    def inner():
        yield 2
    return inner


def twice():
    return 1


def twice():
    return 2


class Table:
    def get(self):
        return os.listdir(".")

    def method(self):
        def nested():
            pass


table = Table()


def archive():  # imported under this name too: the import wins
    pass


if os.name == "nt":
    def windows():
        pass
'''


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain", False),  # a sync def: sure
        ("coro", True),  # async def: sure
        ("gen", None),  # a generator: the parse decides
        ("outer", None),  # a yield in a nested def: the parse decides
        ("twice", None),  # two defs
        ("fake", None),  # only inside a string
        ("archive", None),  # imported too
        ("windows", None),  # not at column 0
        ("get", None),  # a method
        ("missing", None),
    ],
)
def test_a_def_is_read_from_the_text_only_when_sure(tmp_path: Path, name: str, expected):
    helpers = tmp_path / "helpers.py"
    helpers.write_text(_HELPERS)
    index = ProjectIndex.build([str(helpers)], [str(tmp_path)])
    assert index._def_in_text(project_module._norm(str(helpers)), name) is expected


def test_names_resolved_from_the_text_match_the_parse(tmp_path: Path, monkeypatch):
    (tmp_path / "helpers.py").write_text(_HELPERS)
    (tmp_path / "plainimport.py").write_text("import helpers\nimport os.path, json as j\n")
    user = tmp_path / "user.py"
    user.write_text("import helpers\n")
    files = [str(tmp_path / n) for n in ("helpers.py", "plainimport.py", "user.py")]
    names = ["helpers.plain", "helpers.coro", "helpers.gen", "helpers.outer", "helpers.twice", "helpers.fake",
             "helpers.archive", "helpers.windows", "helpers.Table.get", "helpers.Table.method",
             "helpers.table.get", "helpers.missing", "plainimport.helpers.plain", "plainimport.j.loads"]

    def refs(index):
        found = {}
        for name in names:
            ref = index.function(project_module._norm(str(user)), name)
            found[name] = ref and (ref.module, ref.qualname, ref.is_async, ref.is_generator)
        return found

    parsed = ProjectIndex.build(files, [str(tmp_path)])
    for path in files:
        parsed._load(project_module._norm(path))  # every module parsed: names from the trees
    expected = refs(parsed)
    assert expected["helpers.plain"] == ("helpers", "plain", False, False)
    assert expected["plainimport.helpers.plain"] == ("helpers", "plain", False, False)  # import helpers
    assert expected["helpers.table.get"] is None  # an instance: not followed
    calls: Counter = Counter()
    real_parse = ast.parse

    def counting(source, filename="<unknown>", *args, **kwargs):
        calls[Path(filename).name] += 1
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    lazy = ProjectIndex.build(files, [str(tmp_path)])
    assert refs(lazy) == expected
    first = ProjectIndex.build(files, [str(tmp_path)])
    assert first.function(project_module._norm(str(user)), "helpers.plain") == lazy.function(
        project_module._norm(str(user)), "helpers.plain")
    calls.clear()
    for name in ("helpers.plain", "helpers.coro", "helpers.table.get"):
        ProjectIndex.build(files, [str(tmp_path)]).function(project_module._norm(str(user)), name)
    assert calls["helpers.py"] == 0  # neither a def sure from the text nor an instance's method needs a parse


def test_a_reference_made_from_the_text_is_checked_against_the_parse(tmp_path: Path):
    """If the text misled (a generator the quotes hid), the parsed def decides: no chain."""
    helpers = tmp_path / "helpers.py"
    helpers.write_text("import time\n\n\ndef tick():\n    time.sleep(1)\n")
    index = ProjectIndex.build([str(helpers)], [str(tmp_path)])
    path = project_module._norm(str(helpers))
    ref = project_module.HelperRef(path, "helpers", "tick", False, False)
    assert index._live_function(ref) is not None
    assert index._live_function(project_module.HelperRef(path, "helpers", "tick", False, True)) is None
    assert index._live_function(project_module.HelperRef(path, "helpers", "tick", True, False)) is None


@pytest.mark.parametrize("retain", [0, 1_000_000])
def test_a_file_checked_again_keeps_its_tree_during_the_check(monkeypatch, retain: int):
    """Every file checked a second and third time in one session (as ``--fix`` does) gives
    the same findings as the first time and as a fresh index.  (The trim that once dropped a
    re-checked file's tree mid-check is caught by the budget-pressure test below.)"""
    monkeypatch.setattr(project_module, "RETAIN_BYTES", retain)

    def texts(found):
        return {str(p): [(d.line, d.col, d.code, d.message) for d in ds] for p, ds in found.items()}

    index = _index()
    with index.session():
        first = texts(_run(index))
        assert texts(_run(index)) == first
        assert texts(_run(index, FILES[::-1])) == first
    assert first == texts(_run(_index()))


def test_a_method_chain_survives_a_second_check_under_budget_pressure(tmp_path: Path, monkeypatch):
    """The second check's first chain used to trim the file's own tree (its first check was
    over), so `self.second()` no longer resolved: litellm lost FPF107s in ``--fix``."""
    monkeypatch.setattr(project_module, "RETAIN_BYTES", 0)
    service = tmp_path / "service.py"
    service.write_text(
        "import time\n\n\nclass Service:\n    def first(self):\n        time.sleep(1)\n\n"
        "    def second(self):\n        time.sleep(2)\n\n"
        "    async def handle(self):\n        self.first()\n        self.second()\n"
    )
    index = ProjectIndex.build([str(service)], [str(tmp_path)])
    with index.session():
        for _ in range(3):
            found = check_source(service.read_bytes(), str(service), Settings(), project=index, on_disk=True)
            assert [(d.line, d.code) for d in found.diagnostics] == [(12, "FPF107"), (13, "FPF107")]


def _chain_of_modules(tmp_path: Path, n: int) -> list[Path]:
    """main.py's endpoint calls m0.step0() -> m1.step1() -> ... -> time.sleep()."""
    files = {"main.py": ENDPOINT.format(imports="from m0 import step0", call="step0()")}
    for i in range(n):
        body = f"from m{i + 1} import step{i + 1}\n\ndef step{i}():\n    step{i + 1}()\n" if i < n - 1 else (
            f"import time\n\ndef step{i}():\n    time.sleep(1)\n")
        files[f"m{i}.py"] = body + "x = 1\n" * 50  # some size: each module costs budget
    return _write(tmp_path, files)


def test_a_chain_through_many_modules_holds_few_trees(tmp_path: Path, monkeypatch):
    """A chain is explored one module at a time and the trees beyond the budget go between two
    modules: on litellm one chain walked through 50 modules, whose trees (100 MB) all stayed
    alive until it was complete."""
    monkeypatch.setattr(project_module, "RETAIN_BYTES", 0)
    paths = _chain_of_modules(tmp_path, 6)
    most = [0]

    class Counting(ProjectIndex):
        def _add(self, *args, **kwargs):
            module = super()._add(*args, **kwargs)
            most[0] = max(most[0], len(self._live))
            return module

    index = Counting.build([str(p) for p in paths], [str(tmp_path)])
    with index.session():
        messages = _fpf107(index, paths[0])
    assert messages == ["m0.step0() -> m1.step1() -> m2.step2() -> m3.step3() -> m4.step4() -> m5.step5() -> "
                        "time.sleep() blocks the event loop in async endpoint `endpoint` (GET /); use await "
                        "run_in_threadpool(step0, ...) or make the helper async"], messages
    assert most[0] <= 3, most[0]  # main.py (under check), the chain's first module, the one in hand


def test_a_hub_is_parsed_again_once_not_once_per_function(tmp_path: Path, monkeypatch):
    """Each endpoint module calls another function of the same helper module (a hub).  With
    trees dropped at every chance, the hub was parsed once per caller module (litellm's
    ``utils.py``: 44 times); after its first parse again, the chain of each of its functions is
    learnt while its tree is alive.  The findings do not change."""
    monkeypatch.setattr(project_module, "RETAIN_BYTES", 0)
    n = 6
    files = {f"api{i}.py": ENDPOINT.format(imports=f"from hub import work{i}", call=f"work{i}()") for i in range(n)}
    files["hub.py"] = "import time\n\n" + "".join(
        f"def work{i}():\n    time.sleep({i})\n\n" for i in range(n)) + "x = 1\n" * 50
    paths = _write(tmp_path, files)
    parsed = _count_parses(monkeypatch)
    index = ProjectIndex.build([str(p) for p in paths], [str(tmp_path)])
    with index.session():
        messages = [_fpf107(index, path) for path in paths[:n]]
    assert messages == [[f"hub.work{i}() -> time.sleep() blocks the event loop in async endpoint `endpoint` (GET /); use "
                         f"await run_in_threadpool(work{i}, ...) or make the helper async"] for i in range(n)], messages
    assert parsed["hub.py"] == 2, parsed  # (the findings are in endpoints: no reach is walked)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_the_text_of_a_function_is_its_lines(tmp_path: Path, newline: str):
    from flake8_fastapi_perf.analysis.context import ModuleContext

    lines = ["import time", "", "def first():", "    time.sleep(1)", "", "async def second(x):",
             "    return [", "        x,", "    ]", "y = 1"]
    path = tmp_path / "m.py"
    path.write_bytes(newline.join(lines).encode())
    index = ProjectIndex.build([str(path)], [str(tmp_path)])
    with index.session():
        source = path.read_bytes()
        tree = ast.parse(source)
        index.register(str(path), tree, source)  # as check_source does
        ctx = ModuleContext(tree, Settings(), str(path), index)
        texts = [ctx.text_of(fn.node) for fn in ctx.module.all_functions]
    assert texts == [newline.join(lines[2:4]).encode() + newline.encode(),
                     newline.join(lines[5:9]).encode() + newline.encode()]
    assert ModuleContext(ast.parse(source), Settings(), str(path)).text_of(ctx.module.all_functions[0].node) is None


def test_a_module_other_chains_went_into_is_kept_before_others(tmp_path: Path, monkeypatch):
    """helpers.py served api.py's chain; plain.py (checked later, so more recently used) did
    not: when one of the two must go, plain.py goes."""
    paths = _write(tmp_path, {
        "api.py": ENDPOINT.format(imports="from helpers import work", call="work()"),
        "helpers.py": "import time\n\ndef work():\n    time.sleep(1)\n" + "x = 1\n" * 30,
        "plain.py": "async def noop():\n    pass\n" + "y = 2\n" * 20,  # the smaller
    })
    api, helpers, plain = (project_module._norm(str(p)) for p in paths)
    index = ProjectIndex.build([str(p) for p in paths], [str(tmp_path)])
    with index.session():
        for path in paths:
            check_source(path.read_bytes(), str(path), Settings(), project=index, on_disk=True)
        assert index.is_live(helpers) and index.is_live(plain)
        index._budget = len(paths[1].read_bytes()) + 10  # room for one of the two
        index._grown = True
        index.trim()
        assert index.is_live(helpers) and not index.is_live(plain)


def test_trees_in_hand_count_against_the_budget(tmp_path: Path, monkeypatch):
    """The tree of the file under check is part of the budget: checking a big module keeps no
    other tree (litellm's proxy_server.py, 0.94 MB, had 2.9 MB of trees alive)."""
    big, small = _write(tmp_path, {"big.py": "x = 1\n" * 200, "small.py": "y = 2\n" * 20})
    monkeypatch.setattr(project_module, "RETAIN_BYTES", 1300)
    index = ProjectIndex.build([str(big), str(small)], [str(tmp_path)])
    with index.session():
        index.register(str(big), ast.parse(big.read_bytes()), big.read_bytes())  # its check is under way
        assert index._load(project_module._norm(str(small))) is not None
        index.trim()
        assert not index.is_live(project_module._norm(str(small)))  # 1,200 + 120 bytes > 1,300
        assert index.is_live(project_module._norm(str(big)))
        index.release(str(big))
        assert index._load(project_module._norm(str(small))) is not None
        index.trim()
        assert index.is_live(project_module._norm(str(small)))  # no check under way: it fits


def test_a_module_parsed_for_an_importer_is_checked_next(tmp_path: Path, monkeypatch, capsys):
    """``fastapi-perf check`` (one job) checks a file whose tree was parsed for another file's
    check right after it, while the tree is alive, instead of parsing it again in its turn;
    findings still come out in input order."""
    from flake8_fastapi_perf import cli

    files = {"a_main.py": ENDPOINT.format(imports="from z_helpers import work", call="work()")}
    for i in range(4):  # each resolves a name while its check is under way: the index trims then
        files[f"m{i}.py"] = ("import time\nfrom hh import k\n\nasync def f():\n    k()\n    time.sleep(1)\n"
                             + "x = 1\n" * 60)
    files["hh.py"] = "def k():\n    pass\n"
    files["z_helpers.py"] = HELPER + "\nasync def g():\n    time.sleep(2)\n" + "y = 2\n" * 20
    paths = _write(tmp_path, files)
    # f() and g() are named by no entry point: reported because the project asks for them all
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-perf]\nevery-coroutine = true\n")
    monkeypatch.setattr(project_module, "RETAIN_BYTES", 500)
    parsed: Counter = Counter()
    real_parse = ast.parse

    def counting(source, filename="<unknown>", *args, **kwargs):
        if isinstance(source, bytes):
            parsed[Path(filename).name] += 1
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    assert cli.main(["check", "--no-cache", "--jobs", "1", str(tmp_path)]) == 1
    assert parsed["z_helpers.py"] == 1, parsed
    lines = capsys.readouterr().out.splitlines()
    assert [Path(line.split(":")[0]).name for line in lines] == [
        "a_main.py", "m0.py", "m1.py", "m2.py", "m3.py", "z_helpers.py"], lines
    assert {p.name for p in paths} - {"hh.py"} == {Path(line.split(":")[0]).name for line in lines}


def test_imports_resolve_from_above_the_import_root_only(tmp_path: Path):
    """``tests/test_x.py`` imports the project's packages from the top directory; a package's own
    subdirectory never shadows an installed package (``app/alembic`` is not ``alembic``)."""
    files = {
        "app/__init__.py": "",
        "app/jobs.py": "async def work():\n    pass\n",
        "app/alembic/__init__.py": "",
        "app/alembic/command.py": "def upgrade(cfg, rev):\n    pass\n",
        "app/ns/tool.py": "def crunch():\n    pass\n",  # a namespace portion of app
        "tests/test_jobs.py": "from app.jobs import work\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    index = ProjectIndex.build([str(tmp_path / name) for name in files], [])
    test = str(tmp_path / "tests" / "test_jobs.py")
    service = str(tmp_path / "app" / "jobs.py")
    found = index.function(test, "app.jobs.work")
    assert found is not None and found.qualname == "work"
    assert index.function(service, "alembic.command.upgrade") is None
    assert index.function(service, "app.alembic.command.upgrade") is not None
    assert index.module_name(str(tmp_path / "app" / "ns" / "tool.py")) == "app.ns.tool"
