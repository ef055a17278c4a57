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
