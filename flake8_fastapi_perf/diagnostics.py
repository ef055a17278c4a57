"""The one findings type shared by the flake8 plugin, the command line and (later) the fixer.

Positions follow Python's ``ast``: ``line`` is 1-based, ``col`` is the 0-based UTF-8 byte
offset that ``ast`` reports and flake8 expects.  Conversions to other column conventions
(1-based characters for ruff-style output, UTF-16 for LSP) belong here and nowhere else.
"""

from __future__ import annotations

import enum
import re
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


def char_col_to_byte_col(line_text: str, char_col: int) -> int:
    """Convert a character offset within ``line_text`` to an ast (UTF-8 byte) offset."""
    if line_text.isascii():
        return char_col
    return len(line_text[:char_col].encode("utf-8"))


def decode_source(data: bytes) -> str:
    """A file's text as Python reads it: its coding cookie or BOM, else UTF-8 (bad bytes replaced).

    The BOM is dropped, as ``ast`` does, so columns computed on the text match ``ast``'s.
    """
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        text = data.decode("utf-8", errors="replace")
        return text[1:] if text.startswith("\ufeff") else text


#: Python's line terminators (``str.splitlines`` also splits at form feeds and others, ``ast`` does not).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """``text``'s lines as ``ast`` numbers them (line ``n`` is ``lines[n - 1]``), without terminators."""
    return _LINE_BREAK.split(text)


def line_starts(text: str) -> list[int]:
    """The character offset of the start of each line of ``text`` (as :func:`split_lines` counts them)."""
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def char_location(lines: list[str], line: int, byte_col: int) -> tuple[int, int]:
    """``(row, column)``, both 1-based, the column in characters (ruff's and SARIF's convention with
    ``columnKind: unicodeCodePoints``), for an ast position (1-based line, UTF-8 byte offset).

    A line past the end of the text (an edit that ends after the final newline) counts as empty.
    """
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return line, byte_col_to_char_col(text, byte_col) + 1
