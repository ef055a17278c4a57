"""Formats read by programs: ``json`` and ``json-lines`` (the shape of ruff's), ``github``
(workflow commands that annotate a pull request)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..diagnostics import Fix

if TYPE_CHECKING:  # pragma: no cover
    from . import Finding, Options

#: Every finding is a warning: ruff's JSON has a ``severity`` field, GitHub and SARIF levels.
SEVERITY = "warning"


def rule_names() -> dict[str, str]:
    from ..rules import all_rules

    return {code: rule.name for code, rule in all_rules().items()}


def _location(row_col: tuple[int, int]) -> dict[str, int]:
    return {"column": row_col[1], "row": row_col[0]}


def fix_object(finding: Finding, fix: Fix | None) -> dict[str, Any] | None:
    """ruff's ``fix``: applicability, message and edits (1-based character positions)."""
    if fix is None:
        return None
    return {
        "applicability": fix.applicability.value,
        "edits": [
            {
                "content": edit.content,
                "end_location": _location(finding.char_location(edit.end_line, edit.end_col)),
                "location": _location(finding.char_location(edit.line, edit.col)),
            }
            for edit in fix.edits
        ],
        "message": fix.message,
    }


def finding_object(finding: Finding, names: dict[str, str]) -> dict[str, Any]:
    """One finding as ruff's ``--output-format json`` renders one diagnostic."""
    from . import rule_url

    d = finding.diagnostic
    return {
        "cell": None,
        "code": d.code,
        "end_location": _location(finding.end_location()),
        "filename": finding.path if finding.path == "-" else os.path.abspath(finding.path),
        "fix": fix_object(finding, d.fix),
        "location": _location(finding.location()),
        "message": d.message,
        "name": names.get(d.code, d.code.lower()),
        "noqa_row": d.line,
        "severity": SEVERITY,
        "url": rule_url(d.code),
    }


def json_format(findings: Sequence[Finding], options: Options) -> str:
    from . import escape_json

    names = rule_names()
    return escape_json(json.dumps([finding_object(f, names) for f in findings], indent=2, sort_keys=True,
                                  ensure_ascii=False)) + "\n"


def json_lines(findings: Sequence[Finding], options: Options) -> str:
    from . import escape_json

    names = rule_names()
    return "".join(
        escape_json(json.dumps(finding_object(f, names), sort_keys=True, ensure_ascii=False, separators=(",", ":")))
        + "\n"
        for f in findings
    )


# -- GitHub workflow commands ---------------------------------------------------------------------

def escape_data(value: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value: as data, and ``:`` and ``,`` too."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(findings: Sequence[Finding], options: Options) -> str:
    """``::warning title=FPF101,file=app.py,line=4,col=5,endLine=4,endColumn=18::message``

    The file name is shown escaped (``escape``: a control character as ``\\x1b``), then escaped
    as a property value, so no file name can end the command or start another."""
    from . import escape, relative_path

    lines = []
    for finding in findings:
        d = finding.diagnostic
        row, col = finding.location()
        end_row, end_col = finding.end_location()
        path = escape(relative_path(finding.path, options.root) or finding.path)
        properties = ",".join(
            f"{key}={escape_property(str(value))}"
            for key, value in (
                ("title", d.code), ("file", path), ("line", row), ("col", col),
                ("endLine", end_row), ("endColumn", end_col),
            )
        )
        lines.append(f"::{SEVERITY} {properties}::{escape_data(d.message)}")
    return "".join(line + "\n" for line in lines)
