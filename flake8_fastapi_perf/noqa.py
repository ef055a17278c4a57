"""``# noqa`` handling for the command line, the same as flake8's.

flake8 looks for ``# noqa`` / ``# noqa: FPF101,FPF5`` on the reported line, extended to every
physical line of the logical line (so a comment at the end of a multi-line call counts), and skips
files with a line ``# flake8: noqa``.  We also honour ``# ruff: noqa`` (all codes) and
``# ruff: noqa: FPF101`` (those codes) for files.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from .diagnostics import Diagnostic, decode_source

# flake8.defaults.NOQA_INLINE_REGEXP
NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
# flake8.defaults.NOQA_FILE, used with .match() on each line
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
RUFF_NOQA_FILE = re.compile(r"#\s*ruff\s*:\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?", re.I)


def _split_codes(text: str) -> tuple[str, ...]:
    return tuple(c for c in re.split(r"[,\s]+", text) if c)


def _logical_line_map(text: str, lines: list[str]) -> dict[int, str]:
    """Line number -> the text of all physical lines of its logical line (flake8's mapping)."""
    mapping: dict[int, str] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return mapping
    lo, hi = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        lo = min(lo, tok.start[0])
        hi = max(hi, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[lo - 1 : hi])
            for n in range(lo, hi + 1):
                mapping[n] = joined
            lo, hi = len(lines) + 2, -1
    return mapping


#: Statement fields holding nested statements.
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _span(tree: ast.Module, line: int) -> tuple[int, int]:
    """Lines that hold the logical line of ``line``: the innermost statement containing it (a
    compound statement's header only, decorators included), widened to the statements sharing a
    physical line with it (``a(); b(``)."""
    body: list = tree.body
    span = (line, line)
    while body:
        hit = None
        for i, stmt in enumerate(body):
            start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
            if start <= line <= (stmt.end_lineno or stmt.lineno):
                hit = i
                break
        if hit is None:
            return span
        lo, hi = hit, hit
        while lo > 0 and (body[lo - 1].end_lineno or 0) >= body[lo].lineno:
            lo -= 1
        while hi + 1 < len(body) and body[hi + 1].lineno <= (body[hi].end_lineno or 0):
            hi += 1
        stmt = body[hit]
        start = min([body[lo].lineno, *(d.lineno for d in getattr(body[lo], "decorator_list", ()))])
        span = (start, body[hi].end_lineno or body[hi].lineno)
        inner = [child for field in _BODIES for child in getattr(stmt, field, ()) or ()]
        if not inner or lo != hi:
            return span
        first = min(getattr(child, "lineno", line) for child in inner)
        if line < first:  # the header: up to the line before the first nested statement
            return (span[0], max(span[0], first - 1))
        # descend: handlers and match cases hold statements in their own bodies
        body = []
        for child in inner:
            if isinstance(child, ast.stmt):
                body.append(child)
            else:
                body.extend(getattr(child, "body", ()))
        body.sort(key=lambda s: s.lineno)
        span = (line, line)
    return span


def filter_noqa(diagnostics: list[Diagnostic], source: bytes, tree: ast.Module | None = None) -> list[Diagnostic]:
    """``diagnostics`` without those a ``# noqa`` comment silences.  With the parsed ``tree``,
    the file is tokenized (slow: pure Python before 3.12) only when a ``# noqa`` comment sits on
    another line of a finding's statement than the finding itself."""
    if not re.search(rb"(?i)noqa", source):
        return diagnostics
    text = decode_source(source)
    lines = text.splitlines(keepends=True)
    file_codes: tuple[str, ...] | None = None
    for line in lines:
        if NOQA_FILE.match(line):
            return []
        match = RUFF_NOQA_FILE.search(line)
        if match and line.lstrip().startswith("#"):
            if not match.group("codes"):
                return []
            file_codes = (file_codes or ()) + tuple(c.upper() for c in _split_codes(match.group("codes")))
    mapping: dict[int, str] | None = None
    noqa_lines: list[int] | None = None
    kept = []
    for diagnostic in diagnostics:
        if file_codes and diagnostic.code.startswith(file_codes):
            continue
        if mapping is None and tree is not None:
            if noqa_lines is None:
                noqa_lines = [n for n, line in enumerate(lines, 1) if "#" in line and NOQA_INLINE.search(line)]
            lo, hi = _span(tree, diagnostic.line)
            if not any(lo <= n <= hi and n != diagnostic.line for n in noqa_lines):
                own = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
                if not _silenced(diagnostic, own):
                    kept.append(diagnostic)
                continue
        if mapping is None:
            mapping = _logical_line_map(text, lines)
        physical = mapping.get(diagnostic.line)
        if physical is None:
            physical = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
        if not _silenced(diagnostic, physical):
            kept.append(diagnostic)
    return kept


def _silenced(diagnostic: Diagnostic, text: str) -> bool:
    match = NOQA_INLINE.search(text)
    if match is None:
        return False
    codes = match.group("codes")
    if codes is None:
        return True
    parsed = _split_codes(codes)
    return diagnostic.code in parsed or diagnostic.code.startswith(parsed)
