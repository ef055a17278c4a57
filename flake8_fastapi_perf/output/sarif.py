"""SARIF 2.1.0, as GitHub code scanning takes it (``github/codeql-action/upload-sarif``).

Paths are relative to the project root (``%SRCROOT%``: the nearest directory with ``.git`` or
``pyproject.toml``), columns count Unicode code points (``columnKind``), and each result has a
partial fingerprint that does not change when lines move: a hash of the code, the path and the
stripped text of the finding's line (with a counter for identical lines of one file).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from .machine import SEVERITY

if TYPE_CHECKING:  # pragma: no cover
    from . import Finding, Options

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "flake8-fastapi-perf"
SRCROOT = "%SRCROOT%"
#: partialFingerprints key; bump the version when the hashed text changes.
FINGERPRINT = "fastapiPerfLineHash/v1"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+].*)?$")


def _section(docs: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", docs, re.S | re.M)
    return " ".join(match.group(1).split()) if match else ""


def rule_descriptor(rule: type) -> dict[str, Any]:
    from . import rule_url

    docs = rule.docs()
    full = _section(docs, "What it does") or rule.summary
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": docs or rule.summary, "markdown": docs or rule.summary},
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": SEVERITY},
        "properties": {"tags": ["performance", "fastapi"]},
    }
    if rule.fix:
        descriptor["properties"]["fix"] = rule.fix
    return descriptor


def _artifact(finding: Finding, root: str) -> dict[str, str]:
    from . import relative_path

    relative = relative_path(finding.path, root) if finding.path != "-" else None
    if relative is None:
        uri = "-" if finding.path == "-" else Path(os.path.abspath(finding.path)).as_uri()
        return {"uri": uri}
    # errors: a name that is not UTF-8 (lone surrogates from os.fsdecode) is quoted as its bytes
    return {"uri": urllib.parse.quote(relative, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def _region(start: tuple[int, int], end: tuple[int, int]) -> dict[str, int]:
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def _fingerprint(code: str, path: str, line_text: str) -> str:
    key = "\0".join((code, path, line_text.strip()))
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def sarif(findings: Sequence[Finding], options: Options) -> str:
    from ..rules import all_rules
    from . import project_root

    root = options.root or project_root()
    rules = all_rules()
    index = {code: i for i, code in enumerate(rules)}
    seen: dict[str, int] = {}
    results = []
    for finding in findings:
        d = finding.diagnostic
        artifact = _artifact(finding, root)
        region = _region(finding.location(), finding.end_location())
        hashed = _fingerprint(d.code, artifact["uri"], finding.line_text(d.line))
        seen[hashed] = seen.get(hashed, 0) + 1
        result: dict[str, Any] = {"ruleId": d.code}
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        result.update({
            "level": SEVERITY,
            "message": {"text": d.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
            "partialFingerprints": {FINGERPRINT: f"{hashed}:{seen[hashed]}"},
        })
        if d.fix is not None and d.fix.edits:
            result["fixes"] = [
                {
                    "description": {"text": d.fix.message},
                    "artifactChanges": [
                        {
                            "artifactLocation": artifact,
                            "replacements": [
                                {
                                    "deletedRegion": _region(
                                        finding.char_location(e.line, e.col),
                                        finding.char_location(e.end_line, e.end_col),
                                    ),
                                    "insertedContent": {"text": e.content},
                                }
                                for e in d.fix.edits
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "version": __version__,
        "informationUri": _homepage(),
        "rules": [rule_descriptor(rule) for rule in rules.values()],
    }
    if _SEMVER.match(__version__):
        driver["semanticVersion"] = __version__
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    from . import escape_json

    return escape_json(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"


def _homepage() -> str:
    from . import HOMEPAGE

    return HOMEPAGE
