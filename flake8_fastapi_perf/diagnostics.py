"""The one findings type shared by the flake8 plugin, the command line and (later) the fixer.

Positions follow Python's ``ast``: ``line`` is 1-based, ``col`` is the 0-based UTF-8 byte
offset that ``ast`` reports and flake8 expects.  Conversions to other column conventions
(1-based characters for ruff-style output, UTF-16 for LSP) belong here and nowhere else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Applicability(str, enum.Enum):
    """How safe a fix is, with ruff's meaning."""

    SAFE = "safe"  # behaviour is kept
    UNSAFE = "unsafe"  # behaviour may change
    DISPLAY_ONLY = "display-only"  # shown, never applied


@dataclass(frozen=True)
class Edit:
    """Replace the source between two positions (ast convention) with ``content``."""

    content: str
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Fix:
    message: str
    applicability: Applicability
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    line: int
    col: int
    end_line: int
    end_col: int
    fix: Fix | None = field(default=None, compare=False)

    @property
    def text(self) -> str:
        """``"FPF101 message"``: what flake8 expects as the error text."""
        return f"{self.code} {self.message}"

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.col, self.code)


def byte_col_to_char_col(line_text: str, byte_col: int) -> int:
    """Convert an ast (UTF-8 byte) offset within ``line_text`` to a character offset."""
    if line_text.isascii():
        return byte_col
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
