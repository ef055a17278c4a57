"""Output formats for the command line.

A format is a function ``(findings, options) -> str`` registered in ``FORMATS``; it returns the
whole text to print (with a final newline, or "" for nothing).  ``concise`` is flake8's format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic


@dataclass(frozen=True)
class Finding:
    """One diagnostic of one file, with what formats need to render it."""

    path: str  # as given or walked (relative to the current directory when walked from ".")
    diagnostic: Diagnostic
    source: bytes = field(default=b"", repr=False, compare=False)  # the file's bytes


@dataclass(frozen=True)
class Options:
    fixable: frozenset[str] = frozenset()  # codes with an automatic fix
    show_fix_status: bool = False  # append "(no automatic fix)" where there is none


def concise(findings: Sequence[Finding], options: Options) -> str:
    """``path:line:col: CODE message``, with flake8's 1-based column (the ast byte offset + 1)."""
    lines = []
    for finding in findings:
        d = finding.diagnostic
        suffix = " (no automatic fix)" if options.show_fix_status and d.code not in options.fixable else ""
        lines.append(f"{finding.path}:{d.line}:{d.col + 1}: {d.code} {d.message}{suffix}")
    return "".join(line + "\n" for line in lines)


FORMATS: dict[str, Callable[[Sequence[Finding], Options], str]] = {"concise": concise}
