"""Fixes for FPF1xx: move blocking work off the event loop."""

from __future__ import annotations

import libcst as cst

from ..diagnostics import Diagnostic
from . import fixer
from .engine import FixContext, Replacement
from .middleware import awaited


@fixer("FPF101", "safe")
def sleep(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``time.sleep(x)`` -> ``await asyncio.sleep(x)``."""
    call = ctx.node_at(diagnostic, cst.Call)
    if not isinstance(call, cst.Call) or isinstance(ctx.parent(call), cst.Await):
        return None
    function = ctx.enclosing_function(call)
    if function is None or function.asynchronous is None:
        return None
    spelling = ctx.name_for("asyncio.sleep")
    if spelling is None:
        spelling = "asyncio.sleep"
        ctx.add_import("asyncio")
    new_call = call.with_changes(func=cst.parse_expression(spelling))
    ctx.drop_imports_of(call.func)
    node = awaited(ctx, call)  # parenthesised where the original call's parent needs it
    return [Replacement(call, node.with_changes(expression=new_call))]
