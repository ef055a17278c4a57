"""FPF2xx: request and response bodies held in memory."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..diagnostics import Diagnostic

#: The family can only find something in a file that contains one of these.
NEEDLES = (b"UploadFile", b"File(", b"Form(", b"form(", b"body(", b"Response", b"read(")


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    return iter(())
