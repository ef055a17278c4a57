"""Every fix case: ``testdata/fixes/<case>.py`` must become ``<case>.fixed.py``.

A case runs with safe fixes only unless its first line says ``# fix-options: --unsafe-fixes``.
For each case the output must equal the expected file, compile, keep what every name means (the
names the fixes use mean what ``tests/fixgen.py``'s vocabulary says), be left unchanged by a second
run (no fixable finding remains), and ``--diff`` must write nothing.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import fixgen
from conftest import TESTDATA, fastapi_perf
from flake8_fastapi_perf.config import Settings
from flake8_fastapi_perf.diagnostics import decode_source
from flake8_fastapi_perf.fixes.engine import fix_source
from flake8_fastapi_perf.fixes.safety import compiles, meanings, verify

CASES = sorted(p for p in (TESTDATA / "fixes").glob("*.py") if not p.name.endswith(".fixed.py"))


def _unsafe(path: Path) -> bool:
    first = path.read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    return first.strip() == b"# fix-options: --unsafe-fixes"


def test_every_case_has_an_expected_file():
    assert CASES
    for case in CASES:
        assert case.with_suffix(".fixed.py").exists(), f"{case.name} has no .fixed.py"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fix_case(case: Path):
    source = case.read_bytes()
    expected = case.with_suffix(".fixed.py").read_bytes()
    # the real path: whether an import may go depends on what the other files of the project say
    outcome = fix_source(source, str(case), Settings(), unsafe=_unsafe(case))
    assert outcome.error is None
    assert outcome.fixed, "the case fixes nothing"
    assert outcome.source == expected
    assert compiles(outcome.source) is None
    before, after = decode_source(source), decode_source(outcome.source)
    assert verify(meanings(before, ast.parse(before)), after, fixgen.intents_for(after)) is None
    again = fix_source(outcome.source, str(case), Settings(), unsafe=_unsafe(case))
    assert again.fixed == [] and again.source == outcome.source, "a second run changes the file"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_diff_writes_nothing(case: Path, tmp_path: Path):
    target = tmp_path / case.name
    shutil.copy(case, target)
    before = target.read_bytes()
    args = ["check", "--diff", *(["--unsafe-fixes"] if _unsafe(case) else []), case.name]
    proc = fastapi_perf(*args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith(f"--- a/{case.name}")
    assert target.read_bytes() == before


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fix_command_writes_the_expected_file(case: Path, tmp_path: Path):
    target = tmp_path / case.name
    shutil.copy(case, target)
    target.chmod(0o640)
    args = ["check", "--fix", *(["--unsafe-fixes"] if _unsafe(case) else []), case.name]
    proc = fastapi_perf(*args, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Fixed " in proc.stderr
    assert target.read_bytes() == case.with_suffix(".fixed.py").read_bytes()
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == [case.name]  # no temporary file left behind
