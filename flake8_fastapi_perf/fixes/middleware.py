"""Fixes for FPF301-FPF303: middleware must be async and await ``call_next``."""

from __future__ import annotations

import libcst as cst

from ..diagnostics import Diagnostic
from . import fixer
from .engine import FixContext, Replacement

#: Where an ``await`` expression needs parentheses to keep its meaning.
_TIGHT_PARENTS = (cst.Attribute, cst.Subscript, cst.Call, cst.UnaryOperation, cst.BinaryOperation)


def awaited(ctx: FixContext, call: cst.BaseExpression) -> cst.BaseExpression:
    """``await call``, parenthesised where the parent binds tighter than ``await``."""
    parent = ctx.parent(call)
    node = cst.Await(expression=call)
    if isinstance(parent, _TIGHT_PARENTS) and not (isinstance(parent, cst.Call) and parent.func is not call):
        node = node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _call_next_name(function: cst.FunctionDef, is_method: bool) -> str | None:
    params = [p.name.value for p in function.params.params]
    index = 2 if is_method else 1
    return params[index] if len(params) > index else None


class _AwaitCalls(cst.CSTTransformer):
    """Await every un-awaited, not-passed-along ``name(...)`` call in a function (not nested ones)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.depth = 0
        self.protected: list[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return self.depth == 1

    def leave_FunctionDef(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        self.depth -= 1
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False  # an await cannot go there

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return False  # an await would make it an async generator

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Await(self, node: cst.Await) -> bool:
        self.protected.append(True)
        return True

    def leave_Await(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        self.protected.pop()
        return updated_node

    def visit_Arg(self, node: cst.Arg) -> bool:
        self.protected.append(True)  # wait_for(call_next(request)) is fine as it is
        return True

    def leave_Arg(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        self.protected.pop()
        return updated_node

    def visit_Call(self, node: cst.Call) -> bool:
        self.protected.append(False)  # the call's own arguments are judged on their own
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call):  # type: ignore[no-untyped-def]
        self.protected.pop()
        func = original_node.func
        directly_awaited = bool(self.protected) and self.protected[-1]
        if isinstance(func, cst.Name) and func.value == self.name and not directly_awaited:
            return cst.Await(expression=updated_node)
        return updated_node


def _make_async(ctx: FixContext, diagnostic: Diagnostic, is_method: bool) -> list[Replacement] | None:
    function = ctx.node_at(diagnostic, cst.FunctionDef)
    if not isinstance(function, cst.FunctionDef) or function.asynchronous is not None:
        return None
    name = _call_next_name(function, is_method)
    new = function.with_changes(asynchronous=cst.Asynchronous())
    if name is not None:
        new = new.visit(_AwaitCalls(name))
    return [Replacement(function, new)]


@fixer("FPF301", "safe")
def sync_dispatch(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    return _make_async(ctx, diagnostic, is_method=True)


@fixer("FPF303", "safe")
def sync_http_middleware(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    return _make_async(ctx, diagnostic, is_method=False)


@fixer("FPF302", "safe")
def call_next_not_awaited(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    call = ctx.node_at(diagnostic, cst.Call)
    if not isinstance(call, cst.Call) or isinstance(ctx.parent(call), cst.Await):
        return None
    if not ctx.await_allowed(call):
        return None  # a sync function (FPF301/FPF303 make it async first), a lambda ...
    return [Replacement(call, awaited(ctx, call))]
