"""Output formats for the command line.

A format is a function ``(findings, options) -> str`` registered in ``FORMATS``; it returns the
whole text to print (with a final newline, or "" for nothing).  ``concise`` is flake8's format;
the others follow ruff's formats of the same names (:mod:`.text`: ``full`` and the statistics,
:mod:`.machine`: ``json``, ``json-lines`` and ``github``, :mod:`.sarif`: SARIF 2.1.0).

Formats in ``NEEDS_FIXES`` show each finding's fix: the command line computes them (with LibCST,
see :mod:`..fixes.edits`) into ``Diagnostic.fix`` before formatting, only for files with a
finding whose rule has a fix.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..diagnostics import Diagnostic, char_location, decode_source, split_lines

#: The documentation page of a rule (the one place that knows where the docs live).
RULE_DOCS_URL = "https://github.com/flake8-fastapi-perf/flake8-fastapi-perf/blob/main/docs/rules/{code}.md"
#: The project's home page (SARIF ``informationUri``).
HOMEPAGE = "https://github.com/flake8-fastapi-perf/flake8-fastapi-perf"


def rule_url(code: str) -> str:
    return RULE_DOCS_URL.format(code=code)


#: What a file name must not carry into a terminal or a CI log as it is: C0 controls (a line
#: break starts a fake finding or a GitHub workflow command, ESC an ANSI sequence), DEL, C1
#: controls, the Unicode line and paragraph separators, the bidi controls, and lone surrogates
#: (a name that is not UTF-8, as ``os.fsdecode`` gives it; they cannot even be printed).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
#: The same but the C0 controls: JSON escapes them in strings (outside, "\n" is its white space).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` (a file name, an error line) with the characters of ``_UNSAFE`` shown as Python
    shows them in a string: ``\\n``, ``\\x1b``, ``\\u2028``.  Every text format and every line on
    stderr that names a file goes through this."""
    return _UNSAFE.sub(_escaped, text)


def escape_json(text: str) -> str:
    """Dumped JSON with the characters of ``_UNSAFE`` that JSON leaves as they are (all but the C0
    controls) written as ``\\uXXXX`` escapes: the same JSON values, safe to print."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


@dataclass(frozen=True)
class Finding:
    """One diagnostic of one file, with what formats need to render it."""

    path: str  # as given or walked (relative to the current directory when walked from ".")
    diagnostic: Diagnostic
    source: bytes = field(default=b"", repr=False, compare=False)  # the file's bytes

    @property
    def lines(self) -> list[str]:
        """The file's lines as ``ast`` numbers them (``lines[line - 1]``), without terminators."""
        return _lines(self.source)

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def location(self) -> tuple[int, int]:
        """``(row, column)`` of the start, 1-based, column in characters (ruff's convention)."""
        d = self.diagnostic
        return char_location(self.lines, d.line, d.col)

    def end_location(self) -> tuple[int, int]:
        d = self.diagnostic
        return char_location(self.lines, d.end_line, d.end_col)

    def char_location(self, line: int, byte_col: int) -> tuple[int, int]:
        """Any ast position of this file (an edit's) in ruff's convention."""
        return char_location(self.lines, line, byte_col)


@lru_cache(maxsize=16)
def _lines(source: bytes) -> list[str]:
    return split_lines(decode_source(source)) if source else []


@dataclass(frozen=True)
class Options:
    fixable: frozenset[str] = frozenset()  # codes with an automatic fix
    show_fix_status: bool = False  # append "(no automatic fix)" where there is none
    root: str = ""  # the project root: SARIF and GitHub paths are relative to it ("" = cwd)


def project_root(start: str | None = None) -> str:
    """The nearest directory at or above ``start`` (default: the current directory) with a
    ``.git`` or a ``pyproject.toml``, else ``start`` itself."""
    from ..workspace import project_directory

    start = os.path.abspath(start or os.getcwd())
    return project_directory(start) or start


def relative_path(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with forward slashes, or None when it lies outside."""
    try:
        relative = os.path.relpath(os.path.abspath(path), root or os.getcwd())
    except ValueError:  # another drive (Windows)
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def concise(findings: Sequence[Finding], options: Options) -> str:
    """``path:line:col: CODE message``, with flake8's 1-based column (the ast byte offset + 1)."""
    lines = []
    for finding in findings:
        d = finding.diagnostic
        suffix = " (no automatic fix)" if options.show_fix_status and d.code not in options.fixable else ""
        lines.append(f"{escape(finding.path)}:{d.line}:{d.col + 1}: {d.code} {d.message}{suffix}")
    return "".join(line + "\n" for line in lines)


class _Formats(Mapping[str, Callable[[Sequence[Finding], Options], str]]):
    """Format name -> function; a format's module is imported when it is first asked for (the
    machine formats and SARIF pull in json, datetime, urllib: not worth it for ``concise``)."""

    _WHERE = {"concise": None, "full": ("text", "full"), "json": ("machine", "json_format"),
              "json-lines": ("machine", "json_lines"), "github": ("machine", "github"), "sarif": ("sarif", "sarif")}

    def __getitem__(self, name: str) -> Callable[[Sequence[Finding], Options], str]:
        where = self._WHERE[name]
        if where is None:
            return concise
        return getattr(importlib.import_module(f"{__name__}.{where[0]}"), where[1])  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(self._WHERE)

    def __len__(self) -> int:
        return len(self._WHERE)


FORMATS = _Formats()
#: Formats that show fixes (their findings need ``Diagnostic.fix`` computed).
NEEDS_FIXES = frozenset(["full", "json", "json-lines", "sarif"])
#: Formats read by people (the command line adds its "Found N findings." summary on stderr).
HUMAN = frozenset(["concise", "full"])
