"""FPF5xx: global state, caches and tasks."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..diagnostics import Diagnostic

#: The family can only find something in a file that contains one of these.
NEEDLES = (b"fastapi", b"starlette", b"cache", b"create_task", b"ensure_future")


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    return iter(())
