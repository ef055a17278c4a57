"""The flake8 adapter: entry point, output shape, and no LibCST."""

from __future__ import annotations

import ast
import sys

from conftest import ROOT, run


def test_plugin_yields_flake8_tuples(tmp_path):
    from flake8_fastapi_perf.plugin import Plugin

    tree = ast.parse("import time\nasync def f():\n    time.sleep(1)\n")
    # a file of no project: a project of its own, without entry points (a library): every
    # coroutine is reported
    results = list(Plugin(tree, str(tmp_path / "x.py")).run())
    assert results == [
        (3, 4, "FPF101 time.sleep() blocks the event loop in coroutine `f`; use await asyncio.sleep(...)", Plugin)
    ]


def test_plugin_never_imports_libcst():
    code = (
        "import ast, sys\n"
        "from flake8_fastapi_perf.plugin import Plugin\n"
        "from flake8_fastapi_perf.rules import all_rules\n"
        "all_rules()\n"
        "tree = ast.parse(open('testdata/rules/FPF105_database.py').read())\n"
        "assert list(Plugin(tree, 'testdata/rules/FPF105_database.py').run())\n"
        "import flake8.main.cli\n"
        "print('libcst' in sys.modules)\n"
    )
    proc = run([sys.executable, "-c", code], cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_entry_point_is_registered():
    from importlib.metadata import entry_points

    eps = [ep for ep in entry_points(group="flake8.extension") if ep.name == "FPF"]
    assert len(eps) == 1
    assert eps[0].value == "flake8_fastapi_perf.plugin:Plugin"


def test_flake8_takes_what_the_reach_learnt_from_the_result_cache(tmp_path, monkeypatch):
    """An editor runs flake8 in a new process on each save: the flake8 plugin loads the
    records of the project's result cache (``fastapi-perf check`` or an earlier flake8 process
    wrote them) and walks the reach without parsing the modules that did not change."""
    import importlib
    from collections import Counter

    import flake8_fastapi_perf.plugin as plugin_module

    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(
        "from fastapi import FastAPI\nfrom app.jobs import job\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\nasync def index():\n    await job()\n")
    (root / "app" / "jobs.py").write_text("import time\n\n\nasync def job():\n    time.sleep(1)\n")
    (root / "app" / "other.py").write_text("def helper():\n    return 1\n")
    monkeypatch.setenv("FASTAPI_PERF_CACHE_DIR", str(tmp_path / "cache"))
    jobs = str(root / "app" / "jobs.py")

    def findings() -> tuple[list[str], Counter[str]]:
        module = importlib.reload(plugin_module)  # a new flake8 process: no index yet
        parsed: Counter[str] = Counter()
        real_parse = ast.parse

        def counting(source, filename="<unknown>", *args, **kwargs):
            parsed[str(filename)] += 1
            return real_parse(source, filename, *args, **kwargs)

        text = (root / "app" / "jobs.py").read_text()
        tree = ast.parse(text)
        monkeypatch.setattr(ast, "parse", counting)
        try:
            found = [m for _, _, m, _ in module.Plugin(tree, jobs, text.splitlines(True)).run()]
        finally:
            monkeypatch.setattr(ast, "parse", real_parse)
        return found, parsed

    first, parsed = findings()  # no cache yet: the walk parses main.py, and the records are kept
    assert [m.split()[0] for m in first] == ["FPF101"] and "reached from GET /" in first[0]
    assert parsed[str(root / "app" / "main.py")] == 1
    again, parsed = findings()
    assert again == first and not parsed  # nothing parsed: the records of the cache
    (root / "app" / "other.py").write_text("def helper():\n    return 2\n")  # an edit elsewhere
    again, parsed = findings()
    assert again == first and str(root / "app" / "main.py") not in parsed


def test_flake8_no_cache_option_leaves_no_cache(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "main.py").write_text(
        "import time\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\nasync def helper():\n    time.sleep(1)\n\n\n"
        "@app.get('/')\nasync def index():\n    await helper()\n")
    env_cache = tmp_path / "cache"
    for extra, made in (["--fastapi-perf-no-cache"], False), ([], True):
        proc = run([sys.executable, "-m", "flake8", "--isolated", "--select", "FPF", *extra, "main.py"], cwd=root,
                   env={"FASTAPI_PERF_CACHE_DIR": str(env_cache)})
        assert "FPF101" in proc.stdout and "reached from GET /" in proc.stdout
        assert env_cache.exists() is made
