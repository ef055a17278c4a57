"""FPF4xx: dependencies and resources."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..diagnostics import Diagnostic

#: The family can only find something in a file that contains one of these.
NEEDLES = (b"Depends", b"Security", b"Client", b"create_engine", b"create_async_engine", b"Redis", b"from_url")


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    return iter(())
