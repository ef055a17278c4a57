from __future__ import annotations

import os
import re
import subprocess
import tempfile
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"
ERROR_COMMENT = re.compile(r"#\s*error:\s*(?P<codes>FPF\d{3}(?:\s*,\s*FPF\d{3})*)")
FINDING_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>FPF\d{3}) (?P<message>.*)$")


def expected_findings(path: Path) -> Counter:
    """``(line, code)`` for every ``# error: FPF101[, FPF107]`` comment in a test data file."""
    expected: Counter = Counter()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = ERROR_COMMENT.search(line)
        if match:
            for code in re.findall(r"FPF\d{3}", match.group("codes")):
                expected[(number, code)] += 1
    return expected


def parse_findings(output: str) -> list[tuple[str, int, int, str, str]]:
    """``path:line:col: CODE message`` lines -> tuples; anything else fails the test."""
    found = []
    for line in output.splitlines():
        match = FINDING_LINE.match(line)
        assert match, f"unexpected output line: {line!r}"
        found.append(
            (match["path"], int(match["line"]), int(match["col"]), match["code"], match["message"])
        )
    return found


#: The result cache of the commands the tests run (not the repository's .fastapi_perf_cache/).
TEST_CACHE = tempfile.mkdtemp(prefix="fastapi-perf-test-cache-")


def run(args: list[str], cwd: Path | None = None, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLAKE8", "FASTAPI_PERF"))}
    env = {**base, "FASTAPI_PERF_CACHE_DIR": TEST_CACHE, **(env or {})}
    return subprocess.run(
        args, cwd=cwd or ROOT, capture_output=True, text=True, input=stdin, env=env, timeout=300
    )


def fastapi_perf(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "flake8_fastapi_perf.cli", *args], cwd=cwd, env=env)


def flake8(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "flake8", *args], cwd=cwd)


@pytest.fixture(scope="session")
def flake8_on_testdata() -> dict[str, list[tuple[str, int, int, str, str]]]:
    """One flake8 run over every rule test data file, grouped by file name."""
    files = sorted(str(p.relative_to(ROOT)) for p in (TESTDATA / "rules").glob("*.py"))
    proc = flake8("--isolated", "--select", "FPF", *files)
    assert proc.returncode in (0, 1), proc.stderr
    grouped: dict[str, list] = {}
    for finding in parse_findings(proc.stdout):
        grouped.setdefault(Path(finding[0]).name, []).append(finding)
    return grouped
