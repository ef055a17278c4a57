"""Issue 15, "no crash, strict inputs": one bad file never takes a run down, and exit codes mean
something (0 clean, 1 findings, 2 any error or crash).

Pathological inputs are generated in tmp_path: method chains, expressions and ``elif`` chains
nested deeper than Python's recursion limit lets a recursive walk go, names re-exported through
hundreds of modules, configuration values of every wrong type, file names with control
characters, closed and broken standard streams.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import fastapi_perf, flake8, parse_findings, run

from flake8_fastapi_perf.analysis.project import ProjectIndex
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings

#: More links, terms or hops than a recursion of two or three Python frames a level survives
#: under the default recursion limit of 1000.
DEEP = 400


# -- re-exports through hundreds of modules ------------------------------------------------------

def reexport_tree(root: Path, hops: int, kind: str) -> Path:
    """``pkg/mod0`` re-exports ``fetch`` from ``mod1``, ... from ``mod<hops>``, which defines it
    (``requests.get``); ``app.py`` calls it from an async endpoint, next to a ``time.sleep``.
    ``kind``: "from" (``from pkg.modN import fetch``), "star" (``import *``) or "mixed"."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    for i in range(hops):
        star = kind == "star" or (kind == "mixed" and i % 2)
        line = f"from pkg.mod{i + 1} import *\n" if star else f"from pkg.mod{i + 1} import fetch\n"
        (root / "pkg" / f"mod{i}.py").write_text(line)
    (root / "pkg" / f"mod{hops}.py").write_text("import requests\n\ndef fetch():\n    return requests.get('x')\n")
    app = root / "app.py"
    app.write_text(
        "import asyncio\nimport time\nfrom fastapi import FastAPI\nfrom pkg.mod0 import fetch\n\napp = FastAPI()\n\n"
        "@app.get('/')\nasync def endpoint():\n    await asyncio.sleep(0)\n    fetch()\n    time.sleep(1)\n"
    )
    return app


@pytest.mark.parametrize("kind", ["from", "star", "mixed"])
def test_a_name_re_exported_through_hundreds_of_modules_is_resolved(tmp_path: Path, kind: str):
    app = reexport_tree(tmp_path, DEEP, kind)
    files = sorted(str(p) for p in tmp_path.rglob("*.py"))
    index = ProjectIndex.build(files, [str(tmp_path)])
    with index.session():
        result = check_source(app.read_bytes(), str(app), Settings(), project=index, on_disk=True)
    assert result.error is None
    assert [(d.line, d.code) for d in result.diagnostics] == [(11, "FPF107"), (12, "FPF101")]
    assert result.diagnostics[0].message.startswith(f"pkg.mod{DEEP}.fetch() -> requests.get() blocks")


# -- helpers ---------------------------------------------------------------------------------------

BLOCKING = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
FIXED = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n"


def method_chain(links: int = DEEP) -> str:
    """An async def returning ``q.m().m()...``: a recursive walk of the chain overflows."""
    return f"async def chained(q):\n    return q{'.m()' * links}\n"


def call_next_chain(links: int = DEEP) -> str:
    """Middleware handing ``call_next`` an attribute chain without awaiting it: FPF302 spells the
    call with ``ast.unparse``, which recurses three frames a link (pyflakes: two)."""
    return (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        f"@app.middleware('http')\nasync def middleware(request, call_next):\n    return call_next(request{'.a' * links})\n"
    )


def deep_expression(terms: int = DEEP) -> str:
    """A fixable finding in a function whose other statement nests ``terms`` deep (LibCST's
    metadata recurses on it)."""
    return BLOCKING + f"    x = {' + '.join(['1'] * terms)}\n    return x\n"


def deep_elif(branches: int = DEEP) -> str:
    chain = "    if x == 0:\n        pass\n" + "".join(f"    elif x == {i}:\n        pass\n" for i in range(1, branches))
    return BLOCKING.replace("handler()", "handler(x)") + chain


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


# -- the flake8 plugin never raises into flake8 --------------------------------------------------

def flake8_tree(root: Path) -> None:
    """20 files with one FPF101 and one E225 each, and one the plugin cannot check."""
    root.mkdir()
    for i in range(20):
        (root / f"good{i:02d}.py").write_text(BLOCKING + "\n\nx=1\n")
    (root / "bad.py").write_text(call_next_chain())


@pytest.mark.parametrize("options", [[], ["-j1"], ["--select", "E"], ["-j1", "--select", "E"]],
                         ids=["jobs", "j1", "select-E", "j1-select-E"])
def test_flake8_run_survives_a_file_the_plugin_cannot_check(tmp_path: Path, options: list[str]):
    root = tmp_path / "tree"
    flake8_tree(root)
    proc = flake8("--isolated", *options, ".", cwd=root)
    no_traceback(proc.stderr)
    assert "failed during execution" not in proc.stdout + proc.stderr
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    good = [f"./good{i:02d}.py" for i in range(20)]
    if "E" in options:
        assert sorted(line.split(":")[0] for line in lines if " E225 " in line) == good
        assert not [line for line in lines if " FPF" in line]
    else:
        assert sorted(line.split(":")[0] for line in lines if " FPF101 " in line) == good
        assert [line for line in lines if "FPF000" in line] == [
            "./bad.py:1:1: FPF000 internal error: RecursionError (expressions nested too deeply); "
            "this file was not checked"
        ]


@pytest.mark.parametrize("source", [method_chain(), call_next_chain()], ids=["method-chain", "call-next"])
def test_plugin_turns_a_recursion_error_into_one_finding(source: str):
    import ast

    from flake8_fastapi_perf.plugin import Plugin

    results = list(Plugin(ast.parse(source), "x.py").run())
    assert results == [
        (1, 0, "FPF000 internal error: RecursionError (expressions nested too deeply); this file was not checked",
         Plugin)
    ]


@pytest.mark.parametrize(("exc", "text"), [
    (MemoryError(), "MemoryError (out of memory)"),
    (ValueError("bad value\nsecond line"), "ValueError: bad value"),
    (KeyError("x"), "KeyError: 'x'"),
    (RuntimeError(), "RuntimeError"),
], ids=["memory", "value", "key", "no-message"])
def test_plugin_turns_any_exception_into_one_finding(monkeypatch, exc: Exception, text: str):
    import ast

    from flake8_fastapi_perf import plugin

    def check_tree(*args, **kwargs):
        raise exc

    monkeypatch.setattr(plugin, "check_tree", check_tree)
    results = list(plugin.Plugin(ast.parse(BLOCKING), "x.py").run())
    assert results == [(1, 0, f"FPF000 internal error: {text}; this file was not checked", plugin.Plugin)]


# -- one file's internal error never takes a run of the command line down ------------------------

def test_check_source_contains_every_internal_error(tmp_path: Path, monkeypatch):
    from flake8_fastapi_perf import checker
    from flake8_fastapi_perf.rules import blocking

    def broken(*args, **kwargs):
        raise MemoryError

    path = tmp_path / "app.py"
    path.write_text(BLOCKING + "    open('x')  # noqa: FPF103\n")
    index = ProjectIndex.build([str(path)], [str(tmp_path)])
    for target, name, projects in [(blocking, "check", (None, index)), (checker, "filter_noqa", (None, index)),
                                   (ProjectIndex, "register", (index,))]:
        with monkeypatch.context() as patch:
            patch.setattr(target, name, broken)
            for project in projects:
                result = check_source(path.read_bytes(), str(path), Settings(), project=project)
                assert result.error == (f"{path}:1:1: FPF000 internal error: MemoryError (out of memory); "
                                        "this file was not checked"), name
                assert result.internal and result.diagnostics == []
    # the index forgot what the broken checks derived: the next check is a clean one
    result = check_source(path.read_bytes(), str(path), Settings(), project=index)
    assert result.error is None and [d.code for d in result.diagnostics] == ["FPF101"]


def twenty_files(root: Path, bad: str = "boom.py", bad_text: str = BLOCKING) -> None:
    """19 files with one FPF101 each and ``bad``: as many files as make --jobs use a pool."""
    root.mkdir(exist_ok=True)
    for i in range(19):
        (root / f"good{i:02d}.py").write_text(BLOCKING)
    (root / bad).write_text(bad_text)


def raise_for(name: str, real, exc: Exception):  # type: ignore[no-untyped-def]
    """``real``, except that it raises ``exc`` when its first argument (a ctx, a source, ...) is
    about the file ``name``."""
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        if any(name in str(getattr(a, "filename", a)) for a in args[:3]):
            raise exc
        return real(*args, **kwargs)
    return wrapper


# -- configuration values of any wrong type: an error naming the key and the file, never a crash ---

FPF = "[tool.fastapi-perf]\n"
WRONG = {"integer": "5", "table": "{ a = 1 }", "array-of-integers": "[1]", "boolean": "true",
         "date": "1979-05-27"}
LIST_KEYS = ["select", "extend-select", "ignore", "allow", "exclude", "extend-exclude", "extend-blocking"]

CONFIG_CASES: list[tuple[str, dict[str, str | bytes], str, str]] = [
    # (id, files, the file named, the key named)
    ("tool-integer", {"pyproject.toml": "tool = 5\n"}, "pyproject.toml", "tool"),
    ("tool-array", {"pyproject.toml": "tool = [1, 2]\n"}, "pyproject.toml", "tool"),
    ("tool-array-of-tables", {"pyproject.toml": "[[tool]]\nx = 1\n"}, "pyproject.toml", "tool"),
    ("fastapi-perf-integer", {"pyproject.toml": "[tool]\nfastapi-perf = 5\n"}, "pyproject.toml",
     "[tool.fastapi-perf]"),
    ("fastapi-perf-array", {"pyproject.toml": "[[tool.fastapi-perf]]\nselect = []\n"}, "pyproject.toml",
     "[tool.fastapi-perf]"),
    ("ruff-integer", {"pyproject.toml": "[tool]\nruff = 5\n"}, "pyproject.toml", "tool.ruff"),
    ("ruff-lint-integer", {"pyproject.toml": "[tool.ruff]\nlint = 5\n"}, "pyproject.toml", "tool.ruff.lint"),
    ("ruff-external-integer", {"pyproject.toml": "[tool.ruff]\nexternal = 5\n"}, "pyproject.toml",
     "tool.ruff.external"),
    ("ruff-external-string", {"pyproject.toml": '[tool.ruff]\nexternal = "FPF"\n'}, "pyproject.toml",
     "tool.ruff.external"),
    ("ruff-lint-external-table", {"pyproject.toml": "[tool.ruff.lint]\nexternal = { a = 1 }\n"}, "pyproject.toml",
     "tool.ruff.lint.external"),
    ("ruff-lint-external-integers", {"pyproject.toml": "[tool.ruff.lint]\nexternal = [1]\n"}, "pyproject.toml",
     "tool.ruff.lint.external"),
    ("ruff-toml-lint", {"pyproject.toml": "[project]\nname = 'x'\n", "ruff.toml": "lint = 5\n"}, "ruff.toml", "lint"),
    ("ruff-toml-external", {"pyproject.toml": "[project]\nname = 'x'\n", "ruff.toml": "[lint]\nexternal = 5\n"},
     "ruff.toml", "lint.external"),
    ("ruff-toml-invalid", {"pyproject.toml": "[project]\nname = 'x'\n", "ruff.toml": "lint = [\n"}, "ruff.toml",
     "not valid TOML"),
    ("invalid-toml", {"pyproject.toml": FPF + "select = [\n"}, "pyproject.toml", "not valid TOML"),
    ("not-utf-8", {"pyproject.toml": FPF.encode() + b"allow = ['\xff']\n"}, "pyproject.toml", "not UTF-8"),
    ("nested-too-deeply", {"pyproject.toml": "x = " + "[" * 5000 + "]" * 5000 + "\n"}, "pyproject.toml",
     "cannot read"),
    ("directory", {"pyproject.toml": "DIR"}, "pyproject.toml", "not a file"),
    ("per-file-ignores-integer", {"pyproject.toml": FPF + "per-file-ignores = 5\n"}, "pyproject.toml",
     "per-file-ignores"),
    ("per-file-ignores-value", {"pyproject.toml": FPF + '[tool.fastapi-perf.per-file-ignores]\n"tests/*" = 5\n'},
     "pyproject.toml", "per-file-ignores.tests/*"),
    ("per-file-ignores-table", {"pyproject.toml": FPF + '[tool.fastapi-perf.per-file-ignores]\n"t/*" = { a = 1 }\n'},
     "pyproject.toml", "per-file-ignores.t/*"),
    ("per-file-ignores-unknown-code", {"pyproject.toml": FPF + '[tool.fastapi-perf.per-file-ignores]\n"t/*" = ["FPF999"]\n'},
     "pyproject.toml", "per-file-ignores.t/*"),
    ("extend-blocking-table-value", {"pyproject.toml": FPF + '[tool.fastapi-perf.extend-blocking]\n"a.b" = 5\n'},
     "pyproject.toml", "extend-blocking"),
    ("unsafe-fixes-string", {"pyproject.toml": FPF + 'unsafe-fixes = "yes"\n'}, "pyproject.toml", "unsafe-fixes"),
    ("unsafe-fixes-integer", {"pyproject.toml": FPF + "unsafe-fixes = 1\n"}, "pyproject.toml", "unsafe-fixes"),
    ("output-format-integer", {"pyproject.toml": FPF + "output-format = 5\n"}, "pyproject.toml", "output-format"),
    ("output-format-array", {"pyproject.toml": FPF + "output-format = []\n"}, "pyproject.toml", "output-format"),
    ("output-format-unknown", {"pyproject.toml": FPF + 'output-format = "xml"\n'}, "pyproject.toml", "output-format"),
    ("select-unknown-code", {"pyproject.toml": FPF + 'select = ["FPF999"]\n'}, "pyproject.toml", "select"),
    ("ignore-unknown-prefix", {"pyproject.toml": FPF + 'ignore = ["FPF9"]\n'}, "pyproject.toml", "ignore"),
    ("extend-select-not-a-code", {"pyproject.toml": FPF + 'extend-select = ["XYZ"]\n'}, "pyproject.toml",
     "extend-select"),
    *[(f"{key}-{kind}", {"pyproject.toml": FPF + f"{key} = {value}\n"}, "pyproject.toml", key)
      for key in LIST_KEYS for kind, value in WRONG.items()],
]


@pytest.mark.parametrize(("files", "named", "key"), [pytest.param(*c[1:], id=c[0]) for c in CONFIG_CASES])
def test_bad_configuration_is_an_error_naming_key_and_file(tmp_path: Path, monkeypatch, capsys,
                                                           files: dict[str, str | bytes], named: str, key: str):
    import ast

    from flake8_fastapi_perf import cli
    from flake8_fastapi_perf.plugin import Plugin

    for name, content in files.items():
        if content == "DIR":
            (tmp_path / name).mkdir()
        elif isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            (tmp_path / name).write_text(content)
    app = tmp_path / "app.py"
    app.write_text(BLOCKING)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--no-cache", "app.py"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"fastapi-perf: error: {tmp_path / named}: ") and key in line, line
    [finding] = list(Plugin(ast.parse(BLOCKING), str(app)).run())
    assert finding[:2] == (1, 0) and finding[2] == f"FPF000 configuration error: {line.split(': ', 2)[2]}"


@pytest.mark.parametrize("value", ['["FPF1", "FPF000", "FPF", "fpf101"]', '"FPF10"', "[]"])
def test_codes_and_prefixes_of_rules_are_accepted(tmp_path: Path, monkeypatch, value: str):
    from flake8_fastapi_perf.config import load_pyproject

    (tmp_path / "pyproject.toml").write_text(FPF + f"select = {value}\nignore = {value}\n")
    load_pyproject(tmp_path / "pyproject.toml")
