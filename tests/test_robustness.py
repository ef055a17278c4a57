"""Issue 15, "no crash, strict inputs": one bad file never takes a run down, and exit codes mean
something (0 clean, 1 findings, 2 any error or crash).

Pathological inputs are generated in tmp_path: method chains, expressions and ``elif`` chains
nested deeper than Python's recursion limit lets a recursive walk go, names re-exported through
hundreds of modules, configuration values of every wrong type, file names with control
characters, closed and broken standard streams.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_fastapi_perf.analysis.project import ProjectIndex
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings

#: More links, terms or hops than a recursion of two or three Python frames a level survives
#: under the default recursion limit of 1000.
DEEP = 400


# -- re-exports through hundreds of modules ------------------------------------------------------

def reexport_tree(root: Path, hops: int, kind: str) -> Path:
    """``pkg/mod0`` re-exports ``fetch`` from ``mod1``, ... from ``mod<hops>``, which defines it
    (``requests.get``); ``app.py`` calls it from an async endpoint, next to a ``time.sleep``.
    ``kind``: "from" (``from pkg.modN import fetch``), "star" (``import *``) or "mixed"."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    for i in range(hops):
        star = kind == "star" or (kind == "mixed" and i % 2)
        line = f"from pkg.mod{i + 1} import *\n" if star else f"from pkg.mod{i + 1} import fetch\n"
        (root / "pkg" / f"mod{i}.py").write_text(line)
    (root / "pkg" / f"mod{hops}.py").write_text("import requests\n\ndef fetch():\n    return requests.get('x')\n")
    app = root / "app.py"
    app.write_text(
        "import asyncio\nimport time\nfrom fastapi import FastAPI\nfrom pkg.mod0 import fetch\n\napp = FastAPI()\n\n"
        "@app.get('/')\nasync def endpoint():\n    await asyncio.sleep(0)\n    fetch()\n    time.sleep(1)\n"
    )
    return app


@pytest.mark.parametrize("kind", ["from", "star", "mixed"])
def test_a_name_re_exported_through_hundreds_of_modules_is_resolved(tmp_path: Path, kind: str):
    app = reexport_tree(tmp_path, DEEP, kind)
    files = sorted(str(p) for p in tmp_path.rglob("*.py"))
    index = ProjectIndex.build(files, [str(tmp_path)])
    with index.session():
        result = check_source(app.read_bytes(), str(app), Settings(), project=index, on_disk=True)
    assert result.error is None
    assert [(d.line, d.code) for d in result.diagnostics] == [(11, "FPF107"), (12, "FPF101")]
    assert result.diagnostics[0].message.startswith(f"pkg.mod{DEEP}.fetch() -> requests.get() blocks")
