"""Output formats for the command line.  ``concise`` is flake8's default format."""

from __future__ import annotations

from collections.abc import Iterable

from ..diagnostics import Diagnostic


def concise(results: Iterable[tuple[str, Diagnostic]]) -> Iterable[str]:
    """``path:line:col: CODE message``, with flake8's 1-based column."""
    for path, d in results:
        yield f"{path}:{d.line}:{d.col + 1}: {d.code} {d.message}"


FORMATS = {"concise": concise}
