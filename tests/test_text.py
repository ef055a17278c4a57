"""The text scans of modules the project index has not parsed (analysis/text.py)."""

from __future__ import annotations

import ast
import re

import pytest
from conftest import TESTDATA

from flake8_fastapi_perf.analysis.text import TextSummary


def _names(joined: bytes) -> set[str]:
    return {n.decode() for n in joined.split(b"\n") if n}


def test_what_a_text_may_bind():
    summary = TextSummary(
        b"import os.path, json as j\n"
        b"from .x import (a,\n    b as c)\n"
        b"# from hidden import nothing\n"
        b"x = 1; import late\n"
        b"undef_ = 1\n"
        b"xdef fake(): pass\n"
        b"# the `Quote` class\nclass Quote:\n    def get(self): ...\n"
        b"async  def run(): ...\n"
    )
    assert _names(summary.imported) == {"os", "j", "a", "c"}  # `import late` does not start its line
    assert _names(summary.defs) == {"get", "run"}
    assert "Quote" in _names(summary.classes)  # `class\nclass Quote` once hid it
    assert not summary.star
    assert summary.may_bind(["Quote", "get"]) and summary.may_bind(["run"]) and summary.may_bind(["c", "deep"])
    assert not summary.may_bind(["fake"]) and not summary.may_bind(["nothing"]) and not summary.may_bind(["Quote", "run2"])
    assert summary.sure == {"run": True}  # `get` is a method
    assert TextSummary(b"from .impl import *\n").star


def _reference_sure(source: bytes) -> dict[str, bool]:
    """The per-name regexes the index used before TextSummary (one scan of the text per name),
    except that a name must not go on in non-ASCII letters (``def téléverser`` is no ``def t``)."""
    found = {}
    top = re.compile(rb"^(?:async[ \t]+def|def|class|@)\b", re.MULTILINE)
    names = {m.group(1).decode() for m in re.finditer(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", source, re.M)}
    for name in names:
        word = re.escape(name.encode())
        defs = list(re.finditer(rb"^([ \t]*)(async[ \t]+)?def[ \t]+" + word + rb"(?![\w\x80-\xff])", source, re.MULTILINE))
        if len(defs) != 1 or defs[0].group(1):
            continue
        start = defs[0].start()
        if source.count(b'"""', 0, start) % 2 or source.count(b"'''", 0, start) % 2:
            continue
        if re.search(rb"^[^\n#]*\bimport\b[^\n]*\b" + word + rb"\b", source, re.MULTILINE):
            continue
        following = top.search(source, defs[0].end())
        if b"yield" in source[start:following.start() if following else len(source)]:
            continue
        found[name] = defs[0].group(2) is not None
    return found


FILES = sorted(TESTDATA.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TESTDATA)))
def test_sure_defs_match_the_reference_and_the_parse(path):
    source = path.read_bytes()
    summary = TextSummary(source)
    assert summary.sure == _reference_sure(source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    top = {node.name: isinstance(node, ast.AsyncFunctionDef) for node in tree.body
           if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for name, is_async in summary.sure.items():
        assert top.get(name) == is_async, name
