"""FPF3xx: middleware."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..diagnostics import Diagnostic

#: The family can only find something in a file that contains one of these.
NEEDLES = (b"dispatch", b"call_next", b"middleware", b"body_iterator")


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    return iter(())
