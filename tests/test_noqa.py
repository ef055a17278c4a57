"""``# noqa`` with the tree (tokenize only when needed) matches flake8's logical-line mapping
(tokenize every time), for comments placed on and around every finding of the rule test data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import TESTDATA

from flake8_fastapi_perf.checker import check_tree
from flake8_fastapi_perf.config import Settings
from flake8_fastapi_perf.noqa import filter_noqa

MULTILINE = """import time, requests
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index(url: str):
    await something()
    data = requests.get(
        url,
        timeout=3,
    ).json()  # noqa: FPF102
    x = 1; time.sleep(1); y = \\
        2  # noqa
    z = requests.post(url, data=\"\"\"
abc\"\"\")  # noqa: FPF102
    if requests.head(url,
                     timeout=1):  # noqa: FPF102
        pass
    return data
"""

FILES = sorted((TESTDATA / "rules").glob("*.py")) + [TESTDATA / "demo_app" / "routers" / "files.py"]


def _with_comment(lines: list[str], at: int, comment: str) -> bytes:
    changed = list(lines)
    line = changed[at]
    if '"""' in line or "'''" in line or line.rstrip().endswith("\\"):
        return b""  # a comment would land inside a string or after a continuation
    changed[at] = line.rstrip("\n") + f"  {comment}\n"
    return "".join(changed).encode()


@pytest.mark.parametrize("path", [*FILES, None], ids=lambda p: p.name if p else "multiline")
def test_tree_shortcut_matches_tokenize(path: Path | None, tmp_path: Path):
    if path is None:
        path = tmp_path / "multiline.py"
        path.write_text(MULTILINE)
    source = path.read_bytes()
    diagnostics = check_tree(ast.parse(source), Settings(), str(path))
    lines = source.decode().splitlines(keepends=True)
    tried = 0
    for d in diagnostics[:8]:
        for at in range(max(0, d.line - 3), min(len(lines), d.line + 3)):
            for comment in (f"# noqa: {d.code}", "# noqa: FPF999"):
                variant = _with_comment(lines, at, comment)
                if not variant:
                    continue
                try:
                    tree = ast.parse(variant)
                except SyntaxError:
                    continue
                found = check_tree(tree, Settings(), str(path))
                assert filter_noqa(found, variant, tree) == filter_noqa(found, variant), (path.name, at + 1, comment)
                tried += 1
    assert tried or not diagnostics


def test_multi_line_statements_as_flake8_sees_them(tmp_path: Path):
    """flake8 extends a line's ``# noqa`` over multi-line strings and backslash continuations
    only (a newline inside brackets ends its range): the command must silence exactly what
    flake8 silences."""
    from conftest import fastapi_perf, flake8, parse_findings

    path = tmp_path / "multiline.py"
    path.write_text(MULTILINE)
    ours = {(f[1], f[3]) for f in parse_findings(fastapi_perf("check", "--no-cache", str(path)).stdout)}
    theirs = {(f[1], f[3]) for f in parse_findings(flake8("--isolated", "--select", "FPF", str(path)).stdout)}
    assert ours == theirs == {(10, "FPF102"), (18, "FPF102")}
