"""``# noqa`` handling for the command line, the same as flake8's.

flake8 looks for ``# noqa`` / ``# noqa: FPF101,FPF5`` on the reported line, extended to every
physical line of the logical line (so a comment at the end of a multi-line call counts), and skips
files with a line ``# flake8: noqa``.  We also honour ``# ruff: noqa`` (all codes) and
``# ruff: noqa: FPF101`` (those codes) for files.
"""

from __future__ import annotations

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


def filter_noqa(diagnostics: list[Diagnostic], source: bytes) -> list[Diagnostic]:
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
    kept = []
    for diagnostic in diagnostics:
        if file_codes and diagnostic.code.startswith(file_codes):
            continue
        if mapping is None:
            mapping = _logical_line_map(text, lines)
        physical = mapping.get(diagnostic.line)
        if physical is None:
            physical = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
        match = NOQA_INLINE.search(physical)
        if match is not None:
            codes = match.group("codes")
            if codes is None:
                continue
            parsed = _split_codes(codes)
            if diagnostic.code in parsed or diagnostic.code.startswith(parsed):
                continue
        kept.append(diagnostic)
    return kept
