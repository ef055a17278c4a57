"""Why a file cannot be parsed, said plainly: bytes no Python reads, or syntax of a newer Python.

Both helpers are cheap and never import LibCST.  :func:`bad_bytes` looks at raw bytes before
anything is parsed (a ``memchr`` for NUL, and a decode only for files that are not pure ASCII);
:func:`newer_syntax` runs only on the error path, after ``ast.parse`` raised ``SyntaxError``,
and looks at the offending line (``exc.text``) with a few regular expressions and a small
f-string scanner; to tell ``def f[T](:`` (a typo) from ``def f[T](x):`` (3.12) it parses that
one line with the construct taken out.  Neither one re-parses the file.
"""

from __future__ import annotations

import codecs
import re
import sys

#: (major, minor) of the running interpreter.
RUNNING = sys.version_info[:2]


# -- bytes no Python reads -------------------------------------------------------------------

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]")


def _position(source: bytes, index: int, encoding: str = "utf-8") -> tuple[int, int]:
    """(line, column), both 1-based, the column in characters, of byte ``index`` of ``source``."""
    start = source.rfind(b"\n", 0, index) + 1
    # a lone CR also ends a line for Python
    cr = source.rfind(b"\r", start, index)
    if cr != -1:
        start = cr + 1
    line = source.count(b"\n", 0, start) + source.count(b"\r", 0, start) - source.count(b"\r\n", 0, start) + 1
    prefix = source[start:index].decode(encoding, errors="replace")
    return line, len(prefix) + 1


def _first_two_lines(source: bytes) -> bytes:
    first = source.find(b"\n")
    second = source.find(b"\n", first + 1) if first != -1 else -1
    return source if second == -1 else source[:second]


def bad_bytes(source: bytes) -> tuple[int, int, str] | None:
    """``(line, col, message)`` when no Python can read ``source`` as text, else None.

    Found without parsing, so it can run before the prefilter: a binary file, a UTF-16/32 file
    (PowerShell's ``>`` writes those), a NUL byte, an unknown coding cookie, bytes that are not
    valid in the file's encoding (its cookie, else UTF-8)."""
    if source.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return 1, 1, "the file is UTF-32 text; Python source must be UTF-8 (or declare an ASCII-compatible encoding)"
    if source.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 1, 1, "the file is UTF-16 text; Python source must be UTF-8 (or declare an ASCII-compatible encoding)"
    nul = source.find(b"\0")
    if nul != -1:
        line, col = _position(source, nul)
        return line, col, "source code contains NUL bytes (is it a binary file?)"
    if source.isascii() and b"coding" not in _first_two_lines(source):
        return None  # no cookie, or one that can only name an ASCII-compatible encoding
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as exc:
        message = str(exc.msg)
        if message.startswith("invalid or missing encoding declaration"):
            encoding = "utf-8"  # bad bytes in the first two lines: found with their position below
        else:  # an unknown encoding, a BOM with another cookie
            if source.startswith(codecs.BOM_UTF8) and message.startswith("encoding problem"):
                message = "the file starts with a UTF-8 byte order mark but its coding cookie names another encoding"
            lines = source.splitlines()[:2]
            line = next((n for n, text in enumerate(lines, 1) if _COOKIE.match(text)), 1)
            return line, 1, message
    try:
        source.decode(encoding)
    except UnicodeDecodeError as exc:
        line, col = _position(source, exc.start, encoding)
        name = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        advice = "; a file in another encoding needs a coding cookie" if name == "UTF-8" else ""
        return line, col, f"invalid {name} byte 0x{source[exc.start]:02x} ({exc.reason}){advice}"
    except LookupError:  # pragma: no cover - detect_encoding has checked the codec
        return 1, 1, f"unknown encoding: {encoding}"
    return None


# -- syntax of a newer Python ----------------------------------------------------------------

_TYPE_ALIAS = re.compile(r"[ \t]*type[ \t]+(?P<name>[A-Za-z_]\w*)[ \t]*(?P<open>\[|=)")
_GENERIC_DEF = re.compile(r"[ \t]*(?:async[ \t]+)?def[ \t]+\w+[ \t]*(?P<open>\[)")
_GENERIC_CLASS = re.compile(r"[ \t]*class[ \t]+\w+[ \t]*(?P<open>\[)")
_PARAMETERS_START = re.compile(r"[ \t]*(?:\\?$|#|\*{0,2}[A-Za-z_])")
_EXCEPT_STAR = re.compile(r"[ \t]*except[ \t]*(?P<star>\*)")
_EXCEPT_TYPES = re.compile(r"[ \t]*except[ \t]*\*?[ \t]*(?P<types>[^:#]*?)[ \t]*:")
_EXCEPTION_NAME = re.compile(r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*")  # ValueError, errors.Timeout: not a py2 "e"
_T_STRING = re.compile(r"(?<![\w.'\"])(?:[tT][rR]?|[rR][tT])(?=['\"])")
_STAR_SUBSCRIPT = re.compile(r"(?:[\[,]|\*[ \t]*\w+[ \t]*:)[ \t]*$")  # x[*Ts], x[A, *Ts], *args: *Ts


def newer_syntax(exc: SyntaxError, running: tuple[int, int] = RUNNING) -> tuple[tuple[int, int], str] | None:
    """``((major, minor), construct)`` when ``exc`` is raised by a construct of a Python newer
    than ``running``, else None.

    Conservative: the construct must be on the offending line, at the place the parser
    stopped (or, for f-strings, be what the pre-3.12 f-string parser complains about), so a
    plain typo never gets a "newer Python" hint."""
    text = exc.text
    if not text:
        return None
    msg = exc.msg or ""
    first = text.split("\n", 1)[0]
    at = (exc.offset or 0) - 1  # 0-based column the parser stopped at (in characters)
    for found in (_type_params(first, at), _t_string(first, at), _except_star(first, at),
                  _star_subscript(first, at), _except_without_parentheses(first, msg),
                  _fstring_pep701(text, msg, running)):
        if found is not None and found[0] > running:
            return found
    return None


def hint(exc: SyntaxError, running: tuple[int, int] = RUNNING) -> str | None:
    """The message for :func:`newer_syntax`'s finding, or None."""
    found = newer_syntax(exc, running)
    if found is None:
        return None
    (major, minor), construct = found
    return (f"this file uses syntax of Python {major}.{minor}+ ({construct}); "
            f"the running Python is {running[0]}.{running[1]}")


def _type_params(line: str, at: int) -> tuple[tuple[int, int], str] | None:
    """``type X = ...``, ``def f[T]()``, ``class C[T]`` (3.12); a type parameter default (3.13).

    Older parsers stop at the name after ``type`` or at the ``[``; 3.12 at a default's ``=``.
    The line without the construct must parse (as far as it goes), so ``def f[T](:`` is a
    plain error, not a 3.12 hint."""
    match = _TYPE_ALIAS.match(line)
    if match is not None:
        bracket = match["open"] == "["
        last = _bracket_end(line, match.start("open")) if bracket else match.end("open")
        if match.start("name") <= at <= last:
            rest = line[last + 1:] if bracket else "=" + line[match.end("open"):]
            if not _parses(f"{match['name']} {rest}".strip()):
                return None
            if bracket and _has_default(line, match.start("open")):
                return (3, 13), "type parameter default"
            return (3, 12), "type alias statement"
    for pattern, what in ((_GENERIC_DEF, "type parameters of a function"),
                          (_GENERIC_CLASS, "type parameters of a class")):
        match = pattern.match(line)
        if match is None:
            continue
        last = _bracket_end(line, match.start("open"))
        if match.start("open") - 1 <= at <= last:
            if last == len(line):  # the parameters go on below: they must at least start well
                if not _PARAMETERS_START.match(line, match.end("open")):
                    return None
            elif not _parses((line[:match.start("open")] + line[last + 1:]).strip() + " pass"):
                return None
            if _has_default(line, match.start("open")):
                return (3, 13), "type parameter default"
            return (3, 12), what
    return None


def _parses(code: str) -> bool:
    """False when ``code`` (one line, the newer construct taken out) has an error of its own;
    True when it parses or merely goes on past the line."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code)
    except SyntaxError as exc:
        msg = exc.msg or ""
        return any(part in msg for part in ("never closed", "unexpected EOF", "unterminated triple-quoted"))
    except (ValueError, RecursionError, MemoryError):
        return True
    return True


def _bracket_end(line: str, open_index: int) -> int:
    """The index of the ``]`` closing the ``[`` at ``open_index`` (the line's end if not on it)."""
    depth = 0
    for index in range(open_index, len(line)):
        if line[index] in "([{":
            depth += 1
        elif line[index] in ")]}":
            depth -= 1
            if depth == 0:
                return index
    return len(line)


def _has_default(line: str, open_index: int) -> bool:
    """Whether the ``[...]`` opening at ``open_index`` has a top-level ``=`` (``[T = int]``)."""
    depth = 0
    for index in range(open_index, len(line)):
        char = line[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return False
        elif char == "=" and depth == 1 and line[index - 1] not in "=!<>" and line[index + 1:index + 2] != "=":
            return True
        elif char in "'\"#":
            return False  # keep it simple: no defaults spotted before a string or comment
    return False


def _t_string(line: str, at: int) -> tuple[tuple[int, int], str] | None:
    """``t"..."`` (3.14): the parser stops at the quote after the ``t`` prefix."""
    for match in _T_STRING.finditer(line):
        if match.start() <= at <= match.end():
            return (3, 14), "template string literal"
    return None


def _except_star(line: str, at: int) -> tuple[tuple[int, int], str] | None:
    """``except* E:`` (3.11)."""
    match = _EXCEPT_STAR.match(line)
    if match is not None and match.start("star") - 1 <= at <= match.end("star"):
        return (3, 11), "except* clause"
    return None


def _star_subscript(line: str, at: int) -> tuple[tuple[int, int], str] | None:
    """``tuple[*Ts]``, ``def f(*args: *Ts)`` (3.11)."""
    if 0 <= at < len(line) and line[at] == "*" and _STAR_SUBSCRIPT.search(line, 0, at):
        return (3, 11), "star expression in a subscript or a *args annotation"
    return None


def _except_without_parentheses(line: str, msg: str) -> tuple[tuple[int, int], str] | None:
    """``except A, B:`` (3.14).  Not Python 2's ``except ValueError, e:``."""
    if not msg.startswith("multiple exception types must be parenthesized"):
        return None
    match = _EXCEPT_TYPES.match(line)
    if match is None:
        return None
    names = [name.strip() for name in match["types"].split(",")]
    if " as " in match["types"] or not all(_EXCEPTION_NAME.fullmatch(name) for name in names if name):
        return None
    return (3, 14), "except with several exception types and no parentheses"


# -- f-strings of PEP 701 (3.12) -----------------------------------------------------------

_PEP701_MESSAGES = {
    "f-string expression part cannot include a backslash": "backslash in an f-string expression",
    "f-string expression part cannot include '#'": "comment in an f-string expression",
}
_STRING_START = re.compile(r"(?P<prefix>[rRbBuUfFtT]{1,2})(?P<quote>'''|\"\"\"|'|\")")
_QUOTE = re.compile(r"(?P<prefix>)(?P<quote>'''|\"\"\"|'|\")")


def _fstring_pep701(text: str, msg: str, running: tuple[int, int]) -> tuple[tuple[int, int], str] | None:
    """What Python 3.12 allows in f-strings and older Pythons' f-string parser refuses."""
    if running >= (3, 12) or not msg.startswith("f-string"):
        return None
    for prefix, construct in _PEP701_MESSAGES.items():
        if msg.startswith(prefix):
            return (3, 12), construct
    features: list[str] = []
    try:
        end = _Scanner(text, features).code(0, closers="")
    except _Unterminated:
        return None
    if end is None or not features:
        return None
    return (3, 12), features[0]


class _Unterminated(Exception):
    pass


class _Scanner:
    """Reads code with PEP 701's rules for f-strings and notes what older Pythons refuse."""

    def __init__(self, text: str, features: list[str]) -> None:
        self.text = text
        self.features = features

    def note(self, feature: str) -> None:
        if feature not in self.features:
            self.features.append(feature)

    def code(self, index: int, closers: str, fquote: str = "") -> int | None:
        """Scan code from ``index``; inside an f-string's replacement field (``fquote`` is the
        f-string's quote), stop at a top-level ``closers`` character and return its index."""
        text = self.text
        depth = 0
        while index < len(text):
            char = text[index]
            if depth == 0 and char in closers and not (char == "!" and text[index + 1:index + 2] == "="):
                return index
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
            elif char == "#":
                if fquote:
                    self.note("comment in an f-string expression")
                newline = text.find("\n", index)
                index = len(text) if newline == -1 else newline
                continue
            elif char == "\\" and fquote:
                self.note("backslash in an f-string expression")
            elif char == "\n" and fquote and len(fquote) == 1:
                self.note("line break in an f-string expression")
            elif char in "'\"" or char.isalpha() or char == "_":
                match = (_QUOTE if char in "'\"" else _STRING_START).match(text, index)
                if match is not None:
                    quote = match["quote"]
                    if fquote and (quote[0] == fquote[0] and (len(fquote) == 1 or len(quote) == 3)):
                        self.note("an f-string's own quotes nested inside it")
                    index = self.string(match.end(), match["prefix"].lower(), quote)
                    continue
                index += 1  # a name: skip it whole, so that its tail is not taken for a prefix
                while index < len(text) and (text[index].isalnum() or text[index] == "_"):
                    index += 1
                continue
            index += 1
        return None if closers else index

    def string(self, index: int, prefix: str, quote: str) -> int:
        """Scan a string literal's body from ``index``; return the index after its closing quote."""
        text = self.text
        raw = "r" in prefix
        formatted = "f" in prefix or "t" in prefix
        while index < len(text):
            if text.startswith(quote, index):
                return index + len(quote)
            char = text[index]
            if char == "\\" and not raw:
                if formatted and text.startswith("N{", index + 1):
                    close = text.find("}", index)
                    index = close + 1 if close != -1 else len(text)
                else:
                    index += 2
                continue
            if char == "\\":
                index += 2
                continue
            if char == "\n" and len(quote) == 1:
                raise _Unterminated
            if formatted and char in "{}":
                if text.startswith(char * 2, index):
                    index += 2
                    continue
                if char == "}":
                    index += 1  # a lone "}": an error on every Python; not ours to judge
                    continue
                index = self.field(index + 1, quote)
                continue
            index += 1
        raise _Unterminated

    def field(self, index: int, fquote: str) -> int:
        """Scan a replacement field after its ``{``; return the index after its ``}``."""
        end = self.code(index, closers="}!:", fquote=fquote)
        if end is None:
            raise _Unterminated
        text = self.text
        if text[end] == "!":
            end += 1
            while end < len(text) and text[end].isalnum():
                end += 1
        if end < len(text) and text[end] == ":":
            end += 1
            while end < len(text) and text[end] != "}":  # the format spec, with nested fields
                if text[end] == "{":
                    end = self.field(end + 1, fquote)
                    continue
                if text.startswith(fquote, end) or (text[end] == "\n" and len(fquote) == 1):
                    raise _Unterminated
                end += 1
        if end >= len(text) or text[end] != "}":
            raise _Unterminated
        return end + 1
