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


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("where", ["rule", "process"])
def test_an_internal_error_is_one_line_and_the_run_goes_on(tmp_path: Path, monkeypatch, capsys, jobs: str,
                                                           where: str):
    from flake8_fastapi_perf import checker, cli
    from flake8_fastapi_perf.rules import blocking

    twenty_files(tmp_path / "tree")
    if where == "rule":  # inside check_source: contained there
        monkeypatch.setattr(blocking, "check", raise_for("boom.py", blocking.check, ValueError("boom\nmore")))
    else:  # around it: contained by the command line's per-file guard
        monkeypatch.setattr(checker, "check_source", raise_for("boom.py", checker.check_source, ValueError("boom")))
    monkeypatch.setenv("FASTAPI_PERF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path / "tree")
    for _ in range(2):  # the second run from the cache; a crash is not kept in it
        assert cli.main(["check", "-j", jobs, "."]) == 2
        out, err = capsys.readouterr()
        assert sorted(f[0] for f in parse_findings(out)) == [f"./good{i:02d}.py" for i in range(19)]
        assert err.splitlines() == ["./boom.py:1:1: FPF000 internal error: ValueError: boom; this file was not checked",
                                    "Found 19 findings."]
        assert any((tmp_path / "cache").rglob("*"))  # the cache was written


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_fixer_crash_leaves_the_file_and_the_run_goes_on(tmp_path: Path, monkeypatch, capsys, jobs: str):
    from flake8_fastapi_perf import cli
    from flake8_fastapi_perf.fixes import engine

    twenty_files(tmp_path / "tree")
    monkeypatch.setattr(engine, "fix_source", raise_for("boom.py", engine.fix_source, RecursionError()))
    monkeypatch.chdir(tmp_path / "tree")
    assert cli.main(["check", "--no-cache", "-j", jobs, "--fix", "."]) == 2
    out, err = capsys.readouterr()
    assert parse_findings(out)[0][:4] == ("./boom.py", 5, 5, "FPF101")  # its finding stays
    assert err.splitlines() == [
        "./boom.py:1:1: FPF000 internal error: RecursionError (expressions nested too deeply); "
        "the file was left unchanged",
        "Fixed 19 findings (1 remaining)",
    ]
    assert (tmp_path / "tree" / "boom.py").read_text() == BLOCKING
    assert (tmp_path / "tree" / "good00.py").read_text() == FIXED


def test_a_crash_computing_fixes_for_the_output_keeps_the_findings(tmp_path: Path, monkeypatch, capsys):
    import json

    from flake8_fastapi_perf import cli
    from flake8_fastapi_perf.fixes import edits

    twenty_files(tmp_path / "tree")
    monkeypatch.setattr(edits, "with_fixes", raise_for("boom.py", edits.with_fixes, ValueError("no fix")))
    monkeypatch.chdir(tmp_path / "tree")
    assert cli.main(["check", "--no-cache", "-j1", "--output-format", "json", "."]) == 2
    out, err = capsys.readouterr()
    findings = {Path(f["filename"]).name: f for f in json.loads(out)}
    assert len(findings) == 20 and findings["boom.py"]["fix"] is None and findings["good00.py"]["fix"] is not None
    assert err.splitlines() == [
        "./boom.py:1:1: FPF000 internal error: ValueError: no fix; its findings are shown without fixes"
    ]


@pytest.mark.parametrize("jobs", ["0", "1"])
def test_fix_run_with_files_too_deep_for_libcst(tmp_path: Path, jobs: str):
    """The issue's reproducer: a 400-term expression and a 400-branch elif in async defs."""
    root = tmp_path / "tree"
    twenty_files(root, "deep_expr.py", deep_expression())
    (root / "deep_elif.py").write_text(deep_elif())
    cache = tmp_path / "cache"
    proc = fastapi_perf("check", "--fix", "-j", jobs, ".", cwd=root, env={"FASTAPI_PERF_CACHE_DIR": str(cache)})
    no_traceback(proc.stderr)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if " FPF000 " in line]
    assert sorted(line.split(":")[0] for line in errors) == ["./deep_elif.py", "./deep_expr.py"]
    assert proc.stderr.splitlines()[-1] == "Fixed 19 findings (2 remaining)"
    assert (root / "deep_expr.py").read_text() == deep_expression()
    assert (root / "deep_elif.py").read_text() == deep_elif()
    assert (root / "good00.py").read_text() == FIXED
    assert any(cache.rglob("*"))


def test_traceback_only_when_asked(tmp_path: Path):
    (tmp_path / "bad.py").write_text(call_next_chain())
    plain = fastapi_perf("check", "--no-cache", "bad.py", cwd=tmp_path)
    assert plain.returncode == 2
    assert plain.stderr == ("bad.py:1:1: FPF000 internal error: RecursionError (expressions nested too deeply); "
                            "this file was not checked\n")
    asked = fastapi_perf("check", "--no-cache", "bad.py", cwd=tmp_path, env={"FASTAPI_PERF_TRACEBACK": "1"})
    assert asked.returncode == 2
    assert "Traceback (most recent call last)" in asked.stderr and "RecursionError" in asked.stderr
    assert asked.stderr.splitlines()[-1] == plain.stderr.strip()


# -- exit codes: 2 for any error, whatever escapes --------------------------------------------------

@pytest.mark.parametrize(("exc", "code", "line"), [
    (RuntimeError("kaput\nmore"), 2, "fastapi-perf: error: internal error: RuntimeError: kaput"),
    (MemoryError(), 2, "fastapi-perf: error: internal error: MemoryError (out of memory)"),
    (KeyboardInterrupt(), 130, "fastapi-perf: interrupted"),
], ids=["bug", "memory", "interrupt"])
def test_whatever_escapes_a_run_is_one_line_and_its_exit_code(tmp_path: Path, monkeypatch, capsys, exc, code, line):
    from flake8_fastapi_perf import cli

    def report(self):  # type: ignore[no-untyped-def]
        raise exc

    (tmp_path / "app.py").write_text(BLOCKING)
    monkeypatch.setattr(cli._Run, "report", report)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--no-cache", "app.py"]) == code
    assert capsys.readouterr().err.splitlines() == [line]


def test_a_crash_of_the_command_exits_2_not_1(tmp_path: Path):
    """Through the console entry point (``_exit_now``), as the installed command runs."""
    (tmp_path / "app.py").write_text(BLOCKING)
    code = ("import sys; from flake8_fastapi_perf import cli\n"
            "def report(self): raise ZeroDivisionError('division by zero')\n"
            "cli._Run.report = report\nsys.argv[1:] = ['check', '--no-cache', 'app.py']\ncli.console_main()\n")
    proc = run([sys.executable, "-c", code], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "fastapi-perf: error: internal error: ZeroDivisionError: division by zero\n"


# -- stdin with --fix: the fixed text or the input unchanged, never a part -------------------------

def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("FLAKE8", "FASTAPI_PERF"))}


def fix_stdin(source: bytes, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = clean_env()
    return subprocess.run(
        [sys.executable, "-c", "from flake8_fastapi_perf.cli import console_fix_main; console_fix_main()",
         "--no-cache", *args, "-"],
        cwd=cwd, input=source, capture_output=True, env=env, timeout=300, check=False,
    )


@pytest.mark.parametrize("case", ["too-deep", "syntax-error", "bad-option", "bad-config"])
def test_stdin_failure_prints_the_input_unchanged(tmp_path: Path, case: str):
    source = deep_expression().replace("\n", "\r\n").encode()  # byte for byte: CRLF kept
    args: list[str] = []
    if case == "syntax-error":
        source = b"\xef\xbb\xbfimport time\r\nasync def f(:\r\n    time.sleep(1)\r\n"
    elif case == "bad-option":
        source, args = BLOCKING.encode(), ["--select", "XYZ"]
    elif case == "bad-config":
        source = BLOCKING.encode()
        (tmp_path / "pyproject.toml").write_text("[tool.fastapi-perf]\nselect = 5\n")
    proc = fix_stdin(source, *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == source
    assert b"Traceback" not in proc.stderr


def test_stdin_fix_prints_the_fixed_text_once(tmp_path: Path, monkeypatch, capsysbinary):
    from flake8_fastapi_perf import cli

    written: list[bytes | str] = []
    real = cli.write_stdout
    monkeypatch.setattr(cli, "write_stdout", lambda data: (written.append(data), real(data))[1])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BLOCKING.encode())))
    monkeypatch.chdir(tmp_path)
    # a file name: the import the fix leaves unused can go (nothing else in tmp_path imports it)
    assert cli.main(["check", "--no-cache", "--fix", "--stdin-filename", "app.py", "-"]) == 0
    assert written == [FIXED.encode()]
    assert capsysbinary.readouterr().out == FIXED.encode()


def test_stdin_fix_crash_after_reading_prints_the_input(tmp_path: Path, monkeypatch, capsysbinary):
    from flake8_fastapi_perf import cli

    def report(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("kaput")

    monkeypatch.setattr(cli._Run, "report", report)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BLOCKING.encode())))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--no-cache", "--fix", "-"]) == 2
    captured = capsysbinary.readouterr()
    assert captured.out == BLOCKING.encode()
    assert captured.err == b"fastapi-perf: error: internal error: RuntimeError: kaput\n"


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


@pytest.mark.parametrize(("option", "value", "named"), [
    ("--select", "XYZ", "--select"),
    ("--select", "FPF101,FPF999", "--select"),
    ("--ignore", "FPF9999", "--ignore"),
    ("--ignore", "FPF9", "--ignore"),
    ("--extend-select", "FPF6", "--extend-select"),
    ("--per-file-ignores", "a.py:XYZ", "--per-file-ignores a.py"),
    ("--per-file-ignores", "tests/*:FPF1;a.py:FPF999", "--per-file-ignores a.py"),
    ("--per-file-ignores", "a.py:", "--per-file-ignores"),
])
def test_unknown_codes_on_the_command_line_are_errors(tmp_path: Path, monkeypatch, capsys, option, value, named):
    from flake8_fastapi_perf import cli

    (tmp_path / "app.py").write_text(BLOCKING)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--no-cache", option, value, "app.py"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"fastapi-perf: error: {named}: "), line


def test_known_codes_on_the_command_line_still_work(tmp_path: Path, monkeypatch, capsys):
    from flake8_fastapi_perf import cli

    (tmp_path / "app.py").write_text(BLOCKING)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--no-cache", "--select", "FPF1,fpf000", "--ignore", "FPF5",
                     "--per-file-ignores", "tests/*:FPF", "app.py"]) == 1
    assert cli.main(["check", "--no-cache", "--ignore", "FPF101", "app.py"]) == 0


# -- file names are shown escaped in every format ---------------------------------------------------

#: Names that would inject a fake finding or a GitHub workflow command, colour the terminal,
#: break or reorder a line, or are not UTF-8 (bytes); each file holds one FPF101 with a fix.
HOSTILE = ["a\n::error file=x::pwned.py", "\x1b[31mred.py", "b\u2028c\u202e\x7f\x85.py", b"d\xff.py"]
RAW = ["\n::error", "\x1b", "\u2028", "\u202e", "\x7f", "\x85", "\udcff"]


def hostile_tree(root: Path) -> list[str]:
    """The HOSTILE files, and an unparsable ``e<ESC>[2J.py`` (an error line on stderr); the names
    as ``os.listdir`` gives them."""
    root.mkdir()
    for name in HOSTILE:
        path = os.path.join(os.fsencode(root), name if isinstance(name, bytes) else os.fsencode(name))
        with open(path, "wb") as fh:
            fh.write(BLOCKING.encode())
    (root / "e\x1b[2J.py").write_text("async def f(:\n")
    return sorted(os.fsdecode(n if isinstance(n, bytes) else n.encode()) for n in HOSTILE)


@pytest.mark.parametrize("output_format", ["concise", "full", "json", "json-lines", "github", "sarif",
                                           "statistics", "diff"])
def test_file_names_are_escaped_in_every_format(tmp_path: Path, monkeypatch, capsys, output_format: str):
    import json

    from flake8_fastapi_perf import cli
    from flake8_fastapi_perf.output import escape

    names = hostile_tree(tmp_path / "tree")
    monkeypatch.chdir(tmp_path / "tree")
    args = ["check", "--no-cache", "-j1", "."]
    if output_format == "statistics":
        args.append("--statistics")
    elif output_format == "diff":
        args.append("--diff")
    else:
        args += ["--output-format", output_format]
    assert cli.main(args) == 2  # the unparsable file
    out, err = capsys.readouterr()
    for raw in RAW:
        assert raw not in out and raw not in err, (raw, out, err)
    assert err.splitlines()[0] == "./e\\x1b[2J.py:1:13: FPF000 cannot parse: invalid syntax"
    shown = [escape(f"./{name}") for name in names]
    if output_format == "concise":
        assert [line.split(":5:5: FPF101 ")[0] for line in out.splitlines()] == shown
    elif output_format == "full":
        assert [line.split(":5:5: FPF101 ")[0] for line in out.splitlines() if ":5:5: FPF101 " in line] == shown
    elif output_format in ("json", "json-lines"):
        items = json.loads(out) if output_format == "json" else [json.loads(line) for line in out.splitlines()]
        assert sorted(item["filename"] for item in items) == sorted(os.path.abspath(name) for name in names)
    elif output_format == "github":
        lines = out.splitlines()
        assert len(lines) == 4 and all(line.startswith("::warning title=FPF101,file=") for line in lines)
        assert "::warning title=FPF101,file=a\\n%3A%3Aerror file=x%3A%3Apwned.py,line=5," in out
    elif output_format == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
        assert uris == sorted(["a%0A%3A%3Aerror%20file%3Dx%3A%3Apwned.py", "%1B%5B31mred.py",
                               "b%E2%80%A8c%E2%80%AE%7F%C2%85.py", "d%FF.py"])
    elif output_format == "statistics":
        assert out.splitlines()[0].split("\t")[:2] == ["4", "FPF101"]
    else:  # --diff: the headers name the files
        headers = sorted(line[4:] for line in out.splitlines() if line.startswith("--- "))
        assert headers == sorted(f"a/{name}" for name in shown)


# -- closed, full and broken standard streams ------------------------------------------------------

COMMAND = [sys.executable, "-m", "flake8_fastapi_perf.cli"]


def closed(fd: int, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The command with file descriptor ``fd`` closed (``>&-`` or ``2>&-``)."""
    return subprocess.run(["sh", "-c", f'exec "$@" {fd}>&-', "sh", *COMMAND, *args], cwd=cwd, env=clean_env(),
                          stdout=None if fd == 1 else subprocess.PIPE, stderr=None if fd == 2 else subprocess.PIPE,
                          text=True, timeout=300, check=False)


@pytest.mark.parametrize("args", [["check", "--no-cache", "app.py"], ["rule", "--all"]], ids=["check", "rule"])
def test_closed_stdout_is_an_error(tmp_path: Path, args: list[str]):
    (tmp_path / "app.py").write_text(BLOCKING)
    proc = closed(1, *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "fastapi-perf: error: cannot write to stdout: it is closed"
    no_traceback(proc.stderr)


def test_closed_stderr_is_no_crash(tmp_path: Path):
    (tmp_path / "app.py").write_text(BLOCKING)
    proc = closed(2, "check", "--no-cache", "app.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert [f[3] for f in parse_findings(proc.stdout)] == ["FPF101"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_full_disk_on_stdout_is_an_error(tmp_path: Path):
    (tmp_path / "app.py").write_text(BLOCKING)
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*COMMAND, "check", "--no-cache", "app.py"], cwd=tmp_path, env=clean_env(), stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["Found 1 finding.",
                                        "fastapi-perf: error: cannot write to stdout: No space left on device"]


@pytest.mark.parametrize(("files", "args", "code", "stderr"), [
    ({"app.py": BLOCKING}, [], 1, "Found 1 finding.\n"),
    ({"app.py": FIXED}, ["--output-format", "json"], 0, ""),  # "[]" is written: the verdict stays "clean"
    ({"app.py": BLOCKING, "bad.py": "async def f(:\n"}, [], 2,
     "bad.py:1:13: FPF000 cannot parse: invalid syntax\nFound 1 finding.\n"),
], ids=["findings", "clean", "error"])
def test_a_reader_gone_away_is_no_error(tmp_path: Path, files: dict[str, str], args: list[str], code: int,
                                        stderr: str):
    """``check | head -0``: the pipe breaks at the first write; the run exits with its verdict."""
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: every write breaks the pipe
    try:
        proc = subprocess.run([*COMMAND, "check", "--no-cache", *args, *sorted(files)], cwd=tmp_path,
                              env=clean_env(), stdout=write, stderr=subprocess.PIPE, text=True, timeout=300,
                              check=False)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (code, stderr)
