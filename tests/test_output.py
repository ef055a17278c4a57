"""Output formats: ruff's JSON shape (checked against a real ruff run), json-lines, github, full,
SARIF (validated against the SARIF 2.1.0 schema), --statistics, ``rule --output-format json``,
and the fix edits behind them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, TESTDATA, fastapi_perf, run
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings
from flake8_fastapi_perf.diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    byte_col_to_char_col,
    decode_source,
    line_starts,
    split_lines,
)
from flake8_fastapi_perf.output import FORMATS, Finding, Options, rule_url
from flake8_fastapi_perf.output.machine import escape_data, escape_property

DATA = Path(__file__).parent / "data"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"

#: FPF101 (a safe fix that also swaps the import) and FPF103 (no fix for a bare open()), on a line
#: with a non-ASCII character, a tab and an astral character before the finding.
APP = (
    "import time\n"
    "\n"
    "\n"
    "async def handler():\n"
    '    x = "é\t😀"; time.sleep(1)\n'
    '    open("x")\n'
)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "ruff", *args], cwd=cwd)


def check_json(*args: str, cwd: Path) -> list[dict]:
    proc = fastapi_perf("check", "--output-format", "json", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def shape(value: object) -> object:
    """The keys, types and nesting of a JSON value (lists: the shape shared by every item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        shapes = [shape(item) for item in value]
        assert all(s == shapes[0] for s in shapes), f"items of different shapes: {value}"
        return [shapes[0]] if shapes else []
    return type(value).__name__


def apply_ast_edits(text: str, edits: tuple[Edit, ...] | list[Edit]) -> str:
    """Apply edits with ast positions (1-based line, UTF-8 byte column)."""
    starts, lines = line_starts(text), split_lines(text)

    def offset(line: int, byte_col: int) -> int:
        return starts[line - 1] + byte_col_to_char_col(lines[line - 1], byte_col)

    return _apply(text, [(offset(e.line, e.col), offset(e.end_line, e.end_col), e.content) for e in edits])


def apply_json_edits(text: str, edits: list[dict]) -> str:
    """Apply ruff-style edits (1-based rows, 1-based character columns)."""
    starts = line_starts(text)

    def offset(location: dict) -> int:
        return starts[location["row"] - 1] + location["column"] - 1

    return _apply(text, [(offset(e["location"]), offset(e["end_location"]), e["content"]) for e in edits])


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, cursor = [], 0
    for start, end, content in sorted(spans):
        assert start >= cursor, "overlapping edits"
        out += [text[cursor:start], content]
        cursor = end
    return "".join(out) + text[cursor:]


# -- json --------------------------------------------------------------------------------------

def test_json_has_exactly_ruffs_shape(tmp_path: Path):
    """Every key, type and nesting level of a ruff finding with a fix (F401) and without (E702)."""
    write(tmp_path / "r.py", "import os\nx = 1; y = 2\n")
    proc = ruff("check", "--isolated", "--no-cache", "--output-format", "json", "--select", "F401,E702", "r.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    by_code = {item["code"]: item for item in json.loads(proc.stdout)}
    ruff_fixed, ruff_unfixed = by_code["F401"], by_code["E702"]
    assert ruff_fixed["fix"]["edits"] and ruff_unfixed["fix"] is None

    write(tmp_path / "app.py", APP)
    ours = {item["code"]: item for item in check_json("app.py", cwd=tmp_path)}
    fixed, unfixed = ours["FPF101"], ours["FPF103"]
    assert fixed["fix"] is not None and unfixed["fix"] is None
    assert shape(fixed) == shape(ruff_fixed)
    assert shape(unfixed) == shape(ruff_unfixed)
    assert shape(fixed["fix"]["edits"][0]) == shape(ruff_fixed["fix"]["edits"][0])
    assert list(fixed) == list(ruff_fixed)  # same key order (sorted, as ruff prints them)


def test_json_values(tmp_path: Path):
    write(tmp_path / "app.py", APP)
    fixed, unfixed = check_json("app.py", cwd=tmp_path)
    assert fixed["filename"] == str(tmp_path / "app.py")
    assert fixed["name"] == "blocking-sleep-in-async"
    assert fixed["url"] == rule_url("FPF101") and fixed["url"].endswith("/FPF101.md")
    assert fixed["noqa_row"] == 5 and unfixed["noqa_row"] == 6
    assert fixed["cell"] is None
    assert fixed["location"] == {"row": 5, "column": 16}  # characters: é, tab and 😀 count one each
    assert fixed["end_location"] == {"row": 5, "column": 29}
    assert unfixed["location"] == {"row": 6, "column": 5} and unfixed["end_location"] == {"row": 6, "column": 14}
    fix = fixed["fix"]
    assert fix["applicability"] == "safe"
    assert fix["message"] == "Replace `time.sleep(1)` with `await asyncio.sleep(1)`"
    assert len(fix["edits"]) == 2  # the import and the call
    assert apply_json_edits(APP, fix["edits"]) == APP.replace("import time", "import asyncio").replace(
        "time.sleep(1)", "await asyncio.sleep(1)"
    )


def test_json_columns_agree_with_ruff(tmp_path: Path):
    """ruff's ASYNC251 reports `time.sleep` (the callee) where we report the call: same start."""
    write(tmp_path / "app.py", APP)
    proc = ruff("check", "--isolated", "--no-cache", "--output-format", "json", "--select", "ASYNC251", "app.py", cwd=tmp_path)
    (theirs,) = json.loads(proc.stdout)
    ours = check_json("app.py", cwd=tmp_path)[0]
    assert ours["location"] == theirs["location"]
    assert ours["end_location"]["column"] == theirs["end_location"]["column"] + len("(1)")


def test_unsafe_fix_and_import_edits_crlf_bom(tmp_path: Path):
    """An unsafe fix that adds an import: several edits, positions right in a CRLF file with a BOM."""
    source = (
        "\ufeffimport requests\r\n\r\n\r\nasync def fetch():\r\n"
        '    s = "ü"; return requests.get("https://example.com")\r\n'
    )
    write(tmp_path / "app.py", source.encode("utf-8"))
    (finding,) = check_json("app.py", cwd=tmp_path)
    assert finding["code"] == "FPF102"
    assert finding["location"] == {"row": 5, "column": 21}
    fix = finding["fix"]
    assert fix["applicability"] == "unsafe"
    assert len(fix["edits"]) >= 2
    fixed = apply_json_edits(decode_source(source.encode("utf-8")), fix["edits"])
    assert "return await " in fixed and "(requests.get, " in fixed  # run_in_threadpool or asyncio.to_thread
    added = [e["content"] for e in fix["edits"] if e["content"].startswith(("import ", "from "))]
    assert added and all(line.endswith("\r\n") for line in added)  # the import, in the file's line ending
    assert "\n" not in fixed.replace("\r\n", "")  # no bare LF sneaked in
    compile(fixed, "fixed.py", "exec")


def test_json_empty_and_unparsable(tmp_path: Path):
    write(tmp_path / "clean.py", "x = 1\n")
    proc = fastapi_perf("check", "--output-format", "json", "clean.py", cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout) == [] and proc.stderr == ""
    write(tmp_path / "bad.py", "async def f(:\n")
    proc = fastapi_perf("check", "--output-format", "json", "bad.py", cwd=tmp_path)
    assert proc.returncode == 2 and json.loads(proc.stdout) == []
    assert "FPF000" in proc.stderr


def test_json_lines_are_the_json_objects(tmp_path: Path):
    write(tmp_path / "app.py", APP)
    full = check_json("app.py", cwd=tmp_path)
    proc = fastapi_perf("check", "--output-format", "json-lines", "app.py", cwd=tmp_path)
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and [json.loads(line) for line in lines] == full
    assert fastapi_perf("check", "--output-format", "json-lines", "--select", "FPF5", "app.py", cwd=tmp_path).stdout == ""


def test_stdin_json(tmp_path: Path):
    proc = run(
        [sys.executable, "-m", "flake8_fastapi_perf.cli", "check", "--output-format", "json", "--stdin-filename", "src/app.py", "-"],
        cwd=tmp_path, stdin=APP,
    )
    findings = json.loads(proc.stdout)
    assert [f["code"] for f in findings] == ["FPF101", "FPF103"]
    assert findings[0]["filename"] == str(tmp_path / "src" / "app.py")
    assert findings[0]["fix"] is not None


def test_libcst_only_when_the_format_shows_fixes(tmp_path: Path):
    write(tmp_path / "app.py", APP)
    write(tmp_path / "unfixable.py", "import functools\n\n\n@functools.lru_cache\nasync def f():\n    return 1\n")
    probe = (
        "import sys, io, contextlib\n"
        "from flake8_fastapi_perf.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(sys.argv[1:])\n"
        "print('libcst' in sys.modules)\n"
    )

    def loads_libcst(*args: str) -> bool:
        proc = run([sys.executable, "-c", probe, "check", *args], cwd=tmp_path)
        return proc.stdout.strip() == "True"

    for fmt in ("concise", "github"):
        assert not loads_libcst("--output-format", fmt, "app.py"), fmt
    assert not loads_libcst("--statistics", "app.py")
    assert not loads_libcst("--output-format", "json", "unfixable.py")
    assert loads_libcst("--output-format", "json", "app.py")


def test_output_format_from_pyproject(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.fastapi-perf]\noutput-format = "json-lines"\n')
    write(tmp_path / "app.py", APP)
    proc = fastapi_perf("check", "app.py", cwd=tmp_path)
    assert [json.loads(line)["code"] for line in proc.stdout.splitlines()] == ["FPF101", "FPF103"]
    proc = fastapi_perf("check", "--output-format", "concise", "app.py", cwd=tmp_path)
    assert proc.stdout.startswith("app.py:5:")


# -- fix edits ---------------------------------------------------------------------------------

_TEXT = st.lists(st.sampled_from([*"ab é😀\t", "\n", "\r\n", "\r", "\x0c"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_text_edits_turn_old_into_new(old: str, new: str):
    from flake8_fastapi_perf.fixes.edits import text_edits

    edits = text_edits(old, new)
    assert apply_ast_edits(old, edits) == new
    assert (edits == []) == (old == new)


def _engine_and_fast_path(path: Path) -> list[tuple[Diagnostic, bytes | None, list[Edit] | None]]:
    """For each finding with a proposal: the engine's result of applying that fix alone, and the
    edits the fast path computes (None where it defers to the engine)."""
    import libcst as cst

    from flake8_fastapi_perf.fixes import load_fixers
    from flake8_fastapi_perf.fixes.edits import _FastPath
    from flake8_fastapi_perf.fixes.engine import Checker, FixContext, _apply, _propose

    source = path.read_bytes()
    diagnostics = check_source(source, path.name, Settings()).diagnostics
    module = cst.parse_module(source)
    ctx = FixContext(module, source, Settings(), path.name)
    checker = Checker(source, ctx)
    fast = _FastPath(module, ctx, decode_source(source), checker)
    fixers = load_fixers()
    out = []
    for diagnostic in diagnostics:
        if diagnostic.code not in fixers:
            continue
        proposal = _propose(ctx, diagnostic, fixers[diagnostic.code][0])
        if proposal is None:
            continue
        candidate = _apply(module, [proposal])
        expected = candidate if candidate != source and checker.accepts(candidate, [proposal]) else None
        out.append((diagnostic, expected, fast.edits(proposal)))
    return out


FIX_CASES = sorted(p for p in (TESTDATA / "fixes").glob("*.py") if not p.name.endswith(".fixed.py")) + sorted(
    (TESTDATA / "rules").glob("*.py")
)


@pytest.mark.parametrize("case", FIX_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fast_path_edits_equal_the_engines_fix(case: Path):
    """The fast path (no import codemods per finding) must give exactly the engine's result."""
    text = decode_source(case.read_bytes())
    for diagnostic, expected, edits in _engine_and_fast_path(case):
        if edits is not None:
            assert expected is not None, diagnostic
            assert apply_ast_edits(text, edits) == decode_source(expected), diagnostic


def test_fast_path_is_taken():
    results = [r for case in (TESTDATA / "rules" / "FPF105_database.py", TESTDATA / "rules" / "FPF504_discarded_task.py")
               for r in _engine_and_fast_path(case)]
    assert len(results) > 10 and all(edits is not None for _, _, edits in results)


@pytest.mark.parametrize(
    "case",
    [TESTDATA / "rules" / name for name in ("FPF101_sleep.py", "FPF2xx_bodies.py", "FPF504_discarded_task.py",
                                            "FPF502_unbounded_cache.py")],
    ids=lambda p: p.stem,
)
def test_computed_fixes(case: Path):
    """compute_fixes: a fix for each finding the engine can fix alone, none for the others."""
    from flake8_fastapi_perf.fixes import load_fixers
    from flake8_fastapi_perf.fixes.edits import compute_fixes

    source = case.read_bytes()
    text = decode_source(source)
    diagnostics = check_source(source, case.name, Settings()).diagnostics
    fixes = compute_fixes(source, case.name, Settings(), diagnostics)
    expected = {(d.code, d.line, d.col): exp for d, exp, _ in _engine_and_fast_path(case)}
    fixers = load_fixers()
    assert any(fixes)
    for diagnostic, fix in zip(diagnostics, fixes):
        engine = expected.get((diagnostic.code, diagnostic.line, diagnostic.col))
        if engine is None:
            assert fix is None, diagnostic
            continue
        assert fix is not None, diagnostic
        assert fix.applicability == Applicability(fixers[diagnostic.code][1])
        assert fix.message and "\n" not in fix.message
        assert apply_ast_edits(text, fix.edits) == decode_source(engine), diagnostic


# -- github ------------------------------------------------------------------------------------

def test_github_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    finding = Finding("dir/we,ird:name.py", Diagnostic("FPF101", "50% of\nit: a, b", 2, 4, 2, 9), b"\n    x = f()\n")
    out = FORMATS["github"]([finding], Options())
    assert out == (
        "::warning title=FPF101,file=dir/we%2Cird%3Aname.py,line=2,col=5,endLine=2,endColumn=10"
        "::50%25 of%0Ait: a, b\n"
    )


def test_github_escapes_control_characters_of_file_names():
    """A file name cannot end the workflow command or start another one (issue 15)."""
    finding = Finding("a\r\n::error file=x::pwned\x1b[31m.py", Diagnostic("FPF101", "m", 2, 4, 2, 9), b"\n    x = f()\n")
    out = FORMATS["github"]([finding], Options())
    assert out == ("::warning title=FPF101,file=a\\r\\n%3A%3Aerror file=x%3A%3Apwned\\x1b[31m.py,line=2,col=5,"
                   "endLine=2,endColumn=10::m\n")


def test_escape_and_escape_json():
    from flake8_fastapi_perf.output import escape, escape_json

    assert escape("a\tb\nc\rd\x00\x1b\x7f\x85\u061c\u200e\u2028\u2029\u202e\u2066\udcffé中") == (
        "a\\tb\\nc\\rd\\x00\\x1b\\x7f\\x85\\u061c\\u200e\\u2028\\u2029\\u202e\\u2066\\udcffé中"
    )
    value = {"name": "a\n\x1b\x7f\x85\u2028\u202e\udcffé"}
    text = escape_json(json.dumps(value, indent=2, ensure_ascii=False))
    assert json.loads(text) == value and "é" in text
    assert not any(ch in text for ch in "\x1b\x7f\x85\u2028\u202e\udcff")


def test_github_format(tmp_path: Path):
    write(tmp_path / "pyproject.toml", "")
    write(tmp_path / "pkg" / "app.py", APP)
    proc = fastapi_perf("check", "--output-format", "github", "app.py", cwd=tmp_path / "pkg")
    assert proc.returncode == 1 and proc.stderr == ""
    first = proc.stdout.splitlines()[0]
    assert first == (
        "::warning title=FPF101,file=pkg/app.py,line=5,col=16,endLine=5,endColumn=29::time.sleep() blocks the "
        "event loop in coroutine `handler`; use await asyncio.sleep(...)"
    )


# -- full --------------------------------------------------------------------------------------

def test_full_format(tmp_path: Path):
    write(tmp_path / "app.py", APP)
    proc = fastapi_perf("check", "--output-format", "full", "app.py", cwd=tmp_path)
    assert proc.returncode == 1
    blocks = proc.stdout.split("\n\n")
    assert len(blocks) == 2
    first = blocks[0].splitlines()
    assert first[0].startswith("app.py:5:16: FPF101 time.sleep() blocks")
    assert first[2] == '5 |     x = "é    😀"; time.sleep(1)'  # the tab shown as four spaces
    caret_line = first[3]
    # the caret sits under `time.sleep(1)`: the emoji takes two terminal columns
    assert caret_line == "  | " + " " * (4 + len('x = "é') + 4 + 2 + len('"; ')) + "^" * len("time.sleep(1)")
    assert "  = Fix: safe: Replace `time.sleep(1)` with `await asyncio.sleep(1)`" in first
    assert first[-4:] == [
        "    1 - import time",
        "    1 + import asyncio",
        '    5 -     x = "é    😀"; time.sleep(1)',
        '    5 +     x = "é    😀"; await asyncio.sleep(1)',
    ]
    second = blocks[1].splitlines()
    assert second[0].startswith("app.py:6:5: FPF103 ")
    assert second[3] == "  |     " + "^" * len('open("x")')
    assert "no automatic fix" in second[-1]
    assert proc.stderr.strip() == "Found 2 findings."


def test_full_without_fix_and_multiline_span():
    source = b"cache = {}\n\n\nasync def f(key):\n    cache[key] = (\n        1)\n"
    finding = Finding("m.py", Diagnostic("FPF501", "grows", 5, 4, 6, 10), source)
    out = FORMATS["full"]([finding], Options())
    lines = out.splitlines()
    assert lines[2] == "5 |     cache[key] = ("
    assert lines[3] == "  |     " + "^" * len("cache[key] = (") + " ..."
    assert lines[-1] == "  = (no automatic fix)"


# -- sarif -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def sarif_run(cwd: Path, *paths: str) -> dict:
    proc = fastapi_perf("check", "--output-format", "sarif", *paths, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_sarif_is_valid_and_has_what_github_needs(tmp_path: Path, sarif_validator):
    root = tmp_path / "proj"
    write(root / "pyproject.toml", "[project]\nname = 'x'\n")
    write(root / "src" / "my app.py", APP)
    log = sarif_run(root / "src", ".")
    errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (sarif_run_,) = log["runs"]
    driver = sarif_run_["tool"]["driver"]
    assert driver["name"] and driver["version"] and driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert "FPF101" in ids and ids == sorted(ids)
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "## What it does" in rule["help"]["markdown"] and rule["help"]["text"]
        assert rule["helpUri"] == rule_url(rule["id"])
        assert rule["defaultConfiguration"]["level"] == "warning"
    assert sarif_run_["columnKind"] == "unicodeCodePoints"
    assert sarif_run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.as_uri() + "/"
    first, second = sarif_run_["results"]
    assert first["ruleId"] == "FPF101" and ids[first["ruleIndex"]] == "FPF101"
    assert ids[second["ruleIndex"]] == "FPF103"
    assert first["level"] == "warning" and first["message"]["text"].startswith("time.sleep()")
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/my%20app.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 5, "startColumn": 16, "endLine": 5, "endColumn": 29}
    assert first["partialFingerprints"] and "fixes" in first and "fixes" not in second


def test_sarif_fingerprints_survive_moved_lines(tmp_path: Path):
    write(tmp_path / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(tmp_path / "app.py", APP)
    before = sarif_run(tmp_path, "app.py")["runs"][0]["results"]
    write(tmp_path / "app.py", "# a comment\n\n" + APP.replace("    open", "\n    open"))
    after = sarif_run(tmp_path, "app.py")["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before] == [5, 6]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == [7, 9]
    assert [r["partialFingerprints"] for r in after] == [r["partialFingerprints"] for r in before]
    assert before[0]["partialFingerprints"] != before[1]["partialFingerprints"]
    # the same line twice in one file: still distinct
    write(tmp_path / "twice.py", 'async def f():\n    open("x")\n    open("x")\n')
    twice = sarif_run(tmp_path, "twice.py")["runs"][0]["results"]
    assert len({json.dumps(r["partialFingerprints"]) for r in twice}) == 2


def test_sarif_empty_is_valid(tmp_path: Path, sarif_validator):
    write(tmp_path / "clean.py", "x = 1\n")
    log = sarif_run(tmp_path, "clean.py")
    sarif_validator.validate(log)
    assert log["runs"][0]["results"] == []


def test_sarif_on_the_demo_app_is_valid(sarif_validator):
    log = sarif_run(ROOT, "testdata/demo_app")
    sarif_validator.validate(log)
    assert log["runs"][0]["results"]


# -- statistics --------------------------------------------------------------------------------

def test_statistics(tmp_path: Path):
    write(tmp_path / "app.py", APP + '    open("y")\n')
    write(tmp_path / "other.py", "import time\n\nasync def f():\n    time.sleep(1)\n")
    proc = fastapi_perf("check", "--statistics", ".", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout.splitlines() == [
        "2\tFPF101\t[*] blocking-sleep-in-async",
        "2\tFPF103\t[*] blocking-file-io-in-async",
        "Found 4 findings.",
        "[*] 2 potentially fixable with --fix (2 more with --fix --unsafe-fixes).",
    ]
    stats = json.loads(fastapi_perf("check", "--statistics", "--output-format", "json", ".", cwd=tmp_path).stdout)
    assert stats == [
        {"code": "FPF101", "name": "blocking-sleep-in-async", "count": 2, "fixable": True, "fix_applicability": "safe"},
        {"code": "FPF103", "name": "blocking-file-io-in-async", "count": 2, "fixable": True, "fix_applicability": "unsafe"},
    ]


def test_statistics_unfixable_and_alignment():
    findings = [Finding("a.py", Diagnostic("FPF501", "m", 1, 0, 1, 1))] * 12 + [
        Finding("a.py", Diagnostic("FPF101", "m", 1, 0, 1, 1))
    ]
    from flake8_fastapi_perf.output.text import statistics

    assert statistics(findings, Options()).splitlines() == [
        "12\tFPF501\t[ ] unbounded-global-growth (no automatic fix)",
        " 1\tFPF101\t[*] blocking-sleep-in-async",
        "Found 13 findings.",
        "[*] 1 potentially fixable with --fix.",
    ]
    assert statistics([], Options()) == ""


# -- rule --output-format json ------------------------------------------------------------------

def test_rule_json(tmp_path: Path):
    proc = fastapi_perf("rule", "--all", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 0
    rules = json.loads(proc.stdout)
    listing = fastapi_perf("rule", "--all", cwd=tmp_path).stdout
    assert [r["code"] for r in rules] == [line.split()[0] for line in listing.splitlines()]
    for rule in rules:
        assert {"name", "code", "linter", "summary", "fix", "fix_availability", "explanation", "preview"} <= set(rule)
        assert rule["explanation"].startswith("## What it does")
        assert rule["fix_availability"] in ("Sometimes", "None")
        assert (rule["fix_availability"] == "None") == (rule["fix_applicability"] is None)
    one = json.loads(fastapi_perf("rule", "fpf101", "--output-format", "json", cwd=tmp_path).stdout)
    assert one == next(r for r in rules if r["code"] == "FPF101")
    assert one["name"] == "blocking-sleep-in-async" and one["fix_applicability"] == "safe"
    assert one["url"] == rule_url("FPF101")
    assert fastapi_perf("rule", "FPF999", "--output-format", "json", cwd=tmp_path).returncode == 2


def test_rule_json_keys_are_ruffs(tmp_path: Path):
    proc = ruff("rule", "F401", "--output-format", "json", cwd=tmp_path)
    theirs = json.loads(proc.stdout)
    ours = json.loads(fastapi_perf("rule", "FPF101", "--output-format", "json", cwd=tmp_path).stdout)
    shared = {"name", "code", "linter", "summary", "fix", "fix_availability", "explanation", "preview"}
    assert shared <= set(theirs) and shared <= set(ours)
    assert {k: type(ours[k]) for k in shared} == {k: type(theirs[k]) for k in shared}


def test_every_format_is_registered():
    from flake8_fastapi_perf.config import OUTPUT_FORMATS

    assert set(FORMATS) == {"concise", "full", "json", "json-lines", "github", "sarif"} == set(OUTPUT_FORMATS)
    proc = fastapi_perf("check", "--help")
    for name in FORMATS:
        assert name in proc.stdout
