"""Formats read by people: ``full`` (each finding with its source line, a caret under its span and
its fix) and ``--statistics`` (a count per code)."""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..diagnostics import decode_source, line_starts

if TYPE_CHECKING:  # pragma: no cover
    from ..diagnostics import Fix
    from . import Finding, Options

TAB = "    "


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (tabs as four, wide characters as two)."""
    width = 0
    for char in text:
        if char == "\t":
            width += len(TAB)
        elif unicodedata.combining(char):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            width += 2
        else:
            width += 1
    return width


def _rule_fix() -> dict[str, str | None]:
    from ..rules import all_rules

    return {code: rule.fix for code, rule in all_rules().items()}


def _fix_lines(finding: Finding, fix: Fix, gutter: str) -> list[str]:
    """The lines the fix changes: ``N - old`` (N: the line before) / ``N + new`` (N: after)."""
    old = decode_source(finding.source)
    starts = line_starts(old)
    lines = finding.lines
    pieces, cursor = [], 0
    for edit in sorted(fix.edits, key=lambda e: (e.line, e.col)):
        start = _offset(starts, lines, edit.line, edit.col)
        end = _offset(starts, lines, edit.end_line, edit.end_col)
        pieces.append(old[cursor:start])
        pieces.append(edit.content)
        cursor = end
    pieces.append(old[cursor:])
    new = "".join(pieces)
    old_lines, new_lines = old.splitlines(), new.splitlines()
    changes: list[tuple[int, str, str]] = []  # (line number, "-" or "+", text)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changes += [(i + 1, "-", old_lines[i]) for i in range(i1, i2)]
            changes += [(j + 1, "+", new_lines[j]) for j in range(j1, j2)]
    width = max((len(str(n)) for n, _, _ in changes), default=1)
    return [f"{gutter}{n:>{width}} {sign} {line.replace(chr(9), TAB)}".rstrip() for n, sign, line in changes]


def _offset(starts: list[int], lines: list[str], line: int, byte_col: int) -> int:
    from ..diagnostics import byte_col_to_char_col

    if line > len(starts):
        return starts[-1] + len(lines[-1]) if lines else 0
    text = lines[line - 1] if line <= len(lines) else ""
    return starts[line - 1] + byte_col_to_char_col(text, byte_col)


def full(findings: Sequence[Finding], options: Options) -> str:
    """Each finding, then its line with a caret under the span, then its fix::

        app.py:4:5: FPF101 time.sleep() blocks the event loop in ...
          |
        4 |     time.sleep(1)
          |     ^^^^^^^^^^^^^
          = Fix: safe: Replace `time.sleep(1)` with `await asyncio.sleep(1)`
            1 - import time
            4 -     time.sleep(1)
            3 +     await asyncio.sleep(1)

    ("(no automatic fix)" when the rule has none, or its fixer does not handle this shape.)
    """
    from . import escape

    rule_fix = _rule_fix()
    blocks = []
    for finding in findings:
        d = finding.diagnostic
        row, col = finding.location()
        end_row, end_col = finding.end_location()
        number = str(d.line)
        pad = " " * len(number)
        text = finding.line_text(d.line)
        out = [f"{escape(finding.path)}:{row}:{col}: {d.code} {d.message}"]
        if finding.lines:
            before = text[: col - 1]
            span = text[col - 1 : end_col - 1] if end_row == row else text[col - 1 :].rstrip()
            carets = "^" * max(1, _width(span))
            out.append(f"{pad} |")
            out.append(f"{number} | {text.replace(chr(9), TAB)}".rstrip())
            out.append(f"{pad} | {' ' * _width(before)}{carets}" + (" ..." if end_row > row else ""))
            out.append(f"{pad} |")
        applicability = rule_fix.get(d.code)
        if d.fix is not None:
            out.append(f"{pad} = Fix: {d.fix.applicability.value}: {d.fix.message}")
            if finding.source:
                out.extend(_fix_lines(finding, d.fix, f"{pad}   "))
        elif applicability:
            out.append(f"{pad} = (no automatic fix for this occurrence: {d.code}'s {applicability} fix does not handle it)")
        else:
            out.append(f"{pad} = (no automatic fix)")
        blocks.append("\n".join(out) + "\n")
    return "\n".join(blocks)


# -- --statistics -------------------------------------------------------------------------------

def _counts(findings: Sequence[Finding]) -> list[tuple[str, int]]:
    counts = Counter(f.diagnostic.code for f in findings)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def statistics(findings: Sequence[Finding], options: Options) -> str:
    """ruff's ``--statistics``: ``count<TAB>code<TAB>[*] name`` per code (``[*]``: the rule has an
    automatic fix), most frequent first, then the total."""
    from ..rules import all_rules

    rules = all_rules()
    counts = _counts(findings)
    if not counts:
        return ""
    count_width = max(len(str(n)) for _, n in counts)
    code_width = max(len(code) for code, _ in counts)
    lines = []
    fixable = Counter()
    for code, n in counts:
        rule = rules.get(code)
        mark = "[*]" if rule is not None and rule.fix else "[ ]"
        if rule is not None and rule.fix:
            fixable[rule.fix] += n
        name = rule.name if rule is not None else ""
        status = "" if rule is not None and rule.fix else " (no automatic fix)"
        lines.append(f"{n:>{count_width}}\t{code:<{code_width}}\t{mark} {name}{status}".rstrip())
    total = len(findings)
    lines.append(f"Found {total} finding{'s' if total != 1 else ''}.")
    safe, unsafe = fixable["safe"], fixable["unsafe"]
    if safe and unsafe:
        lines.append(f"[*] {safe} potentially fixable with --fix ({unsafe} more with --fix --unsafe-fixes).")
    elif safe:
        lines.append(f"[*] {safe} potentially fixable with --fix.")
    elif unsafe:
        lines.append(f"[*] {unsafe} potentially fixable with --fix --unsafe-fixes.")
    return "".join(line + "\n" for line in lines)


def statistics_json(findings: Sequence[Finding], options: Options) -> str:
    """``--statistics --output-format json``: ruff's shape, one object per code."""
    from ..rules import all_rules

    rules = all_rules()
    items = []
    for code, n in _counts(findings):
        rule = rules.get(code)
        items.append(
            {
                "code": code,
                "name": rule.name if rule is not None else "",
                "count": n,
                "fixable": bool(rule is not None and rule.fix),
                "fix_applicability": rule.fix if rule is not None else None,
            }
        )
    return json.dumps(items, indent=2) + "\n"
