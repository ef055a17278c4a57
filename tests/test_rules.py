"""Every test data file, through the core (as the CLI runs it) and through flake8."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, TESTDATA, expected_findings
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
