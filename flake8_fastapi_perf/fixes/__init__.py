"""The fixer: LibCST transformers, used only by ``fastapi-perf-fix`` / ``check --fix`` and only on
files in which the ``ast`` pass found at least one fixable finding.

A fixer is a function registered for one rule code with :func:`fixer`.  It receives the LibCST
context and one diagnostic, re-checks the pattern on the CST, and returns the replacements to make
(or ``None`` when the pattern does not hold and nothing must change).  The engine
(:mod:`.engine`) applies the replacements of all diagnostics of a file together, resolves
conflicts (the larger replacement wins, the other is re-evaluated in the next pass), adds the
imports the fixers asked for, and repeats until nothing changes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

#: code -> (fixer function ``(FixContext, Diagnostic) -> list[Replacement] | None``, applicability)
FIXERS: dict[str, tuple[Callable, str]] = {}


def fixer(code: str, applicability: str) -> Callable[[Callable], Callable]:
    """Register ``function`` as the fix for ``code``."""

    def register(function: Callable) -> Callable:
        if code in FIXERS:
            raise RuntimeError(f"two fixers for {code}")
        FIXERS[code] = (function, applicability)
        return function

    return register


def load_fixers() -> dict[str, tuple[Callable, str]]:
    """Import every fixer module (they register themselves) and return the registry."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name != "engine" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return FIXERS


def report_swallowed(filename: str, line: int, col: int, what: str) -> None:
    """Called in an ``except`` block that swallows a fixer bug (the finding just gets no fix):
    with ``FASTAPI_PERF_DEBUG_FIXERS=1`` in the environment, print the exception as one
    ``path:line:col: FPF000 fixer error ...`` line on stderr (the corpus crash check counts them)."""
    if not os.environ.get("FASTAPI_PERF_DEBUG_FIXERS"):
        return
    import traceback

    exc = sys.exc_info()[1]
    if exc is None:
        return
    frames = traceback.extract_tb(exc.__traceback__)
    at = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    ours = [f for f in frames if "flake8_fastapi_perf" in f.filename.replace(os.sep, "/")]
    if ours and ours[-1] is not frames[-1]:
        at += f" (from {os.path.basename(ours[-1].filename)}:{ours[-1].lineno})"
    message = " ".join(str(exc).split())[:200]
    print(f"{filename}:{line}:{col + 1}: FPF000 fixer error ({what}): {type(exc).__name__}: {message}{at}",
          file=sys.stderr, flush=True)
