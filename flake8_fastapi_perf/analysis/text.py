"""What the text of a module says without a parse: the names it may define, and its imports.

The project index asks these questions of modules it has not parsed (see
:meth:`~flake8_fastapi_perf.analysis.project.ProjectIndex._may_define`).  Each scan looks for a
literal (``def``, ``class``, ``import``) and checks the context of each hit in Python: patterns
that start with ``\\b`` or ``^`` make ``re`` try every position of the text (on open-webui,
4.9 MB, ``\\bdef\\s+(\\w+)`` takes 10 times as long as the literal ``def``; ``^...import`` 30
times).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

#: bytes that can be part of an identifier: what ``\\w`` matches in a bytes pattern, and the
#: bytes of non-ASCII letters in UTF-8
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") | frozenset(range(128, 256))
_LITERAL_DEF = re.compile(rb"def")
_LITERAL_CLASS = re.compile(rb"class")
_LITERAL_IMPORT = re.compile(rb"import")
_DEF_NAME = re.compile(rb"def\s+(\w+)")
_LINE_DEF_NAME = re.compile(rb"def[ \t]+(\w+)")
_CLASS_NAME = re.compile(rb"class\s+(\w+)")
_FROM_IMPORT = re.compile(rb"[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)")
_IMPORT_STMT = re.compile(rb"[ \t]*import[ \t]+([^\n#;]*)")
_IMPORT_AS = re.compile(rb"import[ \t]+[\w.]+[ \t]+as[ \t]+(\w+)")
_WORDS = re.compile(rb"\w+")
#: a line (after a newline) that starts a top-level def, class or decorator
_NEXT_TOP = re.compile(rb"\n(?:async[ \t]+def|def|class|@)\b")


def _starts_word(source: bytes, i: int) -> bool:
    return i == 0 or source[i - 1] not in _WORD


def _ends_word(source: bytes, i: int) -> bool:
    return i >= len(source) or source[i] not in _WORD


def import_lines(source: bytes) -> Iterator[tuple[int, int]]:
    """(start of the line, position of the word) for each line holding the word ``import``
    before any ``#``; a line once."""
    last = -1
    for hit in _LITERAL_IMPORT.finditer(source):
        i = hit.start()
        if not (_starts_word(source, i) and _ends_word(source, i + 6)):
            continue
        line = source.rfind(b"\n", 0, i) + 1
        if line == last or b"#" in source[line:i]:
            continue
        last = line
        yield line, i


def _statement(source: bytes, line: int) -> tuple[Any, ...] | None:
    """The import statement that starts at ``line``: ``("from", base, names)`` or
    ``("import", names)``, the names as written; None if the line starts none."""
    match = _FROM_IMPORT.match(source, line)
    if match is not None:
        return "from", match.group(1), match.group(2)
    match = _IMPORT_STMT.match(source, line)
    return ("import", match.group(1)) if match is not None else None


class TextSummary:
    """The names the text of a module may bind, for a module not parsed (yet).

    ``defs``, ``classes``, ``imported``: the names after ``def`` and ``class`` anywhere
    (methods and nested ones too), and those that ``import`` statements bind; each set kept as
    one string, names between newlines (a set of short strings costs ~10 times the memory).
    ``star``: a ``from ... import *``.  ``sure``: name -> is it ``async``, for each name bound
    by a plain top-level ``def`` for sure (see :meth:`_sure`)."""

    __slots__ = ("classes", "defs", "imported", "star", "sure")

    def __init__(self, source: bytes) -> None:
        defs: set[bytes] = set()
        line_defs: list[tuple[bytes, int, int, bool]] = []  # (name, start of line, end, async) at column 0
        counts: dict[bytes, int] = {}  # name -> line-starting defs of it, any indentation
        for hit in _LITERAL_DEF.finditer(source):
            i = hit.start()
            if not _starts_word(source, i):
                continue
            match = _DEF_NAME.match(source, i)
            if match is None:
                continue
            defs.add(match.group(1))
            line = source.rfind(b"\n", 0, i) + 1
            before = source[line:i]
            code = before.lstrip(b" \t")
            if code and not (code.rstrip(b" \t") == b"async" and len(code) > 5):
                continue  # the line does not start with it, nor with ``async`` and blanks
            is_async = bool(code)
            named = _LINE_DEF_NAME.match(source, i)
            if named is None:
                continue
            name = named.group(1)
            if not _ends_word(source, named.end()):
                continue  # the name goes on in non-ASCII letters
            counts[name] = counts.get(name, 0) + 1
            if len(code) == len(before):  # column 0
                line_defs.append((name, line, named.end(), is_async))
        classes: set[bytes] = set()
        for hit in _LITERAL_CLASS.finditer(source):
            i = hit.start()
            if _starts_word(source, i):
                match = _CLASS_NAME.match(source, i)
                if match is not None:
                    classes.add(match.group(1))
        imported: set[bytes] = set()
        import_words: set[bytes] = set()  # every word after ``import`` on its line
        star = False
        for line, i in import_lines(source):
            end = source.find(b"\n", i)
            if end < 0:
                end = len(source)
            import_words.update(_WORDS.findall(source, i + 6, end))
            statement = _statement(source, line)
            if statement is not None and statement[0] == "from":
                for item in statement[2].strip(b"()").split(b","):
                    words = item.split()
                    if words == [b"*"]:
                        star = True
                    elif words:
                        imported.add(words[-1])
            elif statement is not None:  # import a.b, c as d: binds a and d
                for item in statement[1].split(b","):
                    words = item.split()
                    if words:
                        imported.add(words[-1] if len(words) == 3 else words[0].split(b".")[0])
            for match in _IMPORT_AS.finditer(source, i, end):
                if _starts_word(source, match.start()):  # import x as y, also after from
                    imported.add(match.group(1))
        self.defs = _joined(defs)
        self.classes = _joined(classes)
        self.imported = _joined(imported)
        self.star = star
        self.sure = self._sure(source, line_defs, counts, import_words)

    @staticmethod
    def _sure(source: bytes, line_defs: list[tuple[bytes, int, int, bool]], counts: dict[bytes, int],
              import_words: set[bytes]) -> dict[str, bool]:
        """Sure means: one line-starting ``def name`` in the whole text, at column 0 and not
        inside a triple-quoted string (as far as counting quotes tells), no line importing the
        name, and no ``yield`` before the next top-level def, class or decorator (a generator,
        or a nested one: the parse decides)."""
        if not line_defs:
            return {}
        doubles = [m.start() for m in re.finditer(rb'"""', source)]
        singles = [m.start() for m in re.finditer(rb"'''", source)]
        yields = [m.start() for m in re.finditer(rb"yield", source)]
        sure: dict[str, bool] = {}
        for name, start, end, is_async in line_defs:
            if counts[name] != 1 or name in import_words:
                continue
            if bisect_left(doubles, start - 2) % 2 or bisect_left(singles, start - 2) % 2:
                continue  # an odd number of quotes ends before the def
            following = _NEXT_TOP.search(source, end - 1)
            stop = following.start() + 1 if following else len(source)
            k = bisect_left(yields, start)
            if k < len(yields) and yields[k] + 5 <= stop:
                continue
            sure[name.decode("ascii")] = is_async
        return sure

    def may_bind(self, rest: list[str]) -> bool:
        """Can ``rest`` (``name``, ``Class.name`` or ``imported.more``) be a function of the
        module: the first name is imported (or a star import), or ``def name`` occurs (one
        name), or ``class Class`` and ``def name`` (two names).  A superset."""
        first = b"\n" + rest[0].encode() + b"\n"
        return self.star or first in self.imported or (
            (len(rest) == 1 and first in self.defs)
            or (len(rest) == 2 and first in self.classes and b"\n" + rest[1].encode() + b"\n" in self.defs)
        )


def _joined(names: set[bytes]) -> bytes:
    return b"\n" + b"\n".join(sorted(names)) + b"\n"
