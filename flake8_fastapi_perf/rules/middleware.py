"""FPF3xx: middleware written so that it breaks or buffers every request.

``BaseHTTPMiddleware.dispatch`` and ``@app.middleware("http")`` functions are awaited by
Starlette for every request: they must be coroutines, must await ``call_next``, and should pass
bodies through rather than collect them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from itertools import pairwise

from ..analysis.context import ModuleContext
from ..analysis.fastapi import is_http_middleware_class
from ..analysis.scope import FunctionInfo, walk_function
from ..diagnostics import Diagnostic
from . import Rule

#: The family can only find something in a file that contains one of these.
NEEDLES = (b"dispatch", b"call_next", b"middleware", b"body_iterator")


class SyncDispatch(Rule):
    """
    ## What it does
    Flags `def dispatch` (not `async def`) in a `BaseHTTPMiddleware` subclass.

    ## Why is this bad?
    Starlette awaits `dispatch` for every request. A sync `dispatch` returns a response (or a
    coroutine from an un-awaited `call_next`) that cannot be awaited: every request fails with a
    500, or the endpoint never runs.

    ## Example
    ```python
    class Timing(BaseHTTPMiddleware):
        def dispatch(self, request, call_next):
            return call_next(request)
    ```

    ## Use instead
    ```python
    class Timing(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            return await call_next(request)
    ```

    ## Fix safety
    The fix makes `dispatch` async and awaits `call_next(...)`; it is safe: the middleware
    could not have worked before.
    """

    code = "FPF301"
    name = "sync-middleware-dispatch"
    summary = "`BaseHTTPMiddleware.dispatch` defined with `def` instead of `async def`"
    fix = "safe"


class CallNextNotAwaited(Rule):
    """
    ## What it does
    Flags `call_next(request)` inside middleware when its result is not awaited (assigned,
    returned or discarded as a coroutine). Passing it to `asyncio.wait_for(...)`,
    `asyncio.shield(...)` or `create_task(...)` is fine.

    ## Why is this bad?
    `call_next` is a coroutine function: without `await` the endpoint never runs and the
    middleware returns a coroutine object instead of a response.

    ## Example
    ```python
    @app.middleware("http")
    async def add_header(request, call_next):
        response = call_next(request)
        response.headers["X-App"] = "demo"
        return response
    ```

    ## Use instead
    ```python
    @app.middleware("http")
    async def add_header(request, call_next):
        response = await call_next(request)
        response.headers["X-App"] = "demo"
        return response
    ```

    ## Fix safety
    The fix adds `await`; it is safe. It is not offered where an `await` cannot go (a lambda, a
    generator expression, a sync function: FPF301/FPF303 make the function async first).
    """

    code = "FPF302"
    name = "call-next-not-awaited"
    summary = "`call_next(request)` not awaited in middleware"
    fix = "safe"


class SyncHttpMiddleware(Rule):
    """
    ## What it does
    Flags a function decorated with `@app.middleware("http")` that is defined with `def`.

    ## Why is this bad?
    Starlette awaits the middleware function for every request; a sync function cannot be
    awaited and cannot await `call_next`, so every request fails.

    ## Example
    ```python
    @app.middleware("http")
    def add_header(request, call_next):
        return call_next(request)
    ```

    ## Use instead
    ```python
    @app.middleware("http")
    async def add_header(request, call_next):
        return await call_next(request)
    ```

    ## Fix safety
    The fix makes the function async and awaits `call_next(...)`; it is safe.
    """

    code = "FPF303"
    name = "sync-http-middleware"
    summary = "`@app.middleware(\"http\")` on a sync function"
    fix = "safe"


class BufferingMiddleware(Rule):
    """
    ## What it does
    Flags middleware that holds a whole body in memory: it collects `response.body_iterator`
    (`b"".join(...)`, a list comprehension, `body += chunk` or `chunks.append(chunk)` in the
    loop), or reads `await request.body()` / `await request.json()` in `dispatch`. Buffering
    that happens only for error responses (under `if response.status_code >= 400:`, after
    `if response.status_code < 400: return response`, or in an `except` block) is not flagged;
    buffering under another condition (one path, one method) is flagged with that condition in
    the message. A request body read twice is flagged once: Starlette keeps it after the first read.

    ## Why is this bad?
    Middleware runs for every request: buffering there turns every streaming response and every
    upload into a full copy in memory, and defeats `StreamingResponse`/`FileResponse`.

    ## Example
    ```python
    class LogBody(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            response = await call_next(request)
            body = b"".join([chunk async for chunk in response.body_iterator])
            log.info(body)
            return Response(body, status_code=response.status_code)
    ```

    ## Use instead
    Stream the chunks through (log their sizes, not their bytes), or write a pure ASGI middleware
    that inspects messages as they pass.

    ## Fix safety
    No automatic fix: what to do with the body depends on the middleware.
    """

    code = "FPF304"
    name = "middleware-buffers-body"
    summary = "middleware that reads a whole request or response body into memory"


def _http_middleware_decorated(fn: FunctionInfo) -> bool:
    for decorator in fn.node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "middleware"
            and decorator.args
            and isinstance(decorator.args[0], ast.Constant)
            and decorator.args[0].value == "http"
        ):
            return True
    return False


def _middleware_functions(ctx: ModuleContext) -> Iterator[tuple[FunctionInfo, str, str]]:
    """(function, its call_next parameter name, its request parameter name)."""
    for cls in ctx.module.all_classes:
        dispatch = cls.methods.get("dispatch")
        if dispatch is not None and is_http_middleware_class(ctx.resolver, cls):
            names = [a.arg for a in dispatch.node.args.args]
            if len(names) >= 3:
                yield dispatch, names[2], names[1]
    for fn in ctx.module.all_functions:
        if fn.cls is None and _http_middleware_decorated(fn):
            names = [a.arg for a in fn.node.args.args]
            if len(names) >= 2:
                yield fn, names[1], names[0]


def _def_span(rule: type[Rule], fn: FunctionInfo, message: str) -> Diagnostic:
    node = fn.node
    keyword = "async def " if fn.is_async else "def "
    return Diagnostic(rule.code, message, node.lineno, node.col_offset, node.lineno,
                      node.col_offset + len(keyword) + len(node.name))


def _collects(loop: ast.For | ast.AsyncFor) -> bool:
    """The loop body adds each chunk to something (``body += chunk``, ``chunks.append(chunk)``)."""
    if not isinstance(loop.target, ast.Name):
        return False
    chunk = loop.target.id
    for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return False
    for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            if isinstance(node.value, ast.Name) and node.value.id == chunk:
                return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend")
            and any(isinstance(a, ast.Name) and a.id == chunk for a in node.args)
        ):
            return True
    return False


def _is_body_iterator(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Attribute) and expr.attr == "body_iterator"


def _buffering(fn: FunctionInfo, request: str) -> list[tuple[ast.AST, str, bool]]:
    """Where ``fn`` holds a whole body, how, and whether it is the request's, in source order."""
    joined: set[int] = set()
    nodes = list(walk_function(fn))
    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) in ("join", "list", "bytes")
        ):
            for arg in node.args:
                joined.add(id(arg))
    found: list[tuple[ast.AST, str, bool]] = []
    for node in nodes:
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and any(
            _is_body_iterator(gen.iter) for gen in node.generators
        ):
            if not isinstance(node, ast.GeneratorExp) or id(node) in joined:
                found.append((node, "collects response.body_iterator into memory", False))
        elif isinstance(node, (ast.For, ast.AsyncFor)) and _is_body_iterator(node.iter) and _collects(node):
            found.append((node.iter, "collects response.body_iterator into memory chunk by chunk", False))
        elif (
            isinstance(node, ast.Await)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr in ("body", "json")
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == request
        ):
            what = f"reads the whole request body (`await {request}.{node.value.func.attr}()`)"
            found.append((node.value, what, True))
    found.sort(key=lambda item: (item[0].lineno, item[0].col_offset))  # type: ignore[attr-defined]
    return found


def _parents(fn: FunctionInfo) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(fn.node):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents


def _passes_through(block: list[ast.stmt], call_next: str, responses: set[str]) -> bool:
    """``block`` ends the middleware by handing on the app's own response: it returns
    ``await call_next(...)`` or a response it gave (not an error of its own, not a raise)."""
    if not block or not isinstance(block[-1], ast.Return) or block[-1].value is None:
        return False
    value = block[-1].value
    if isinstance(value, ast.Name):
        return value.id in responses
    return any(
        isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == call_next
        for sub in ast.walk(value)
    )


def _conditions(fn: FunctionInfo, node: ast.AST, call_next: str) -> list[tuple[ast.expr, bool]] | None:
    """The conditions under which ``node`` runs, innermost first, as (test, negated): enclosing
    ``if``s, and earlier ``if test: return await call_next(request)`` (or ``return response``)
    that hand the request on untouched.  None when ``node`` runs only in an ``except`` block."""
    parents = _parents(fn)
    responses = {
        target.id
        for sub in walk_function(fn) if isinstance(sub, ast.Assign) and isinstance(sub.value, ast.Await)
        and isinstance(sub.value.value, ast.Call) and isinstance(sub.value.value.func, ast.Name)
        and sub.value.value.func.id == call_next
        for target in sub.targets if isinstance(target, ast.Name)
    }
    found: list[tuple[ast.expr, bool]] = []
    child: ast.AST = node
    while child is not fn.node:
        parent = parents.get(id(child))
        if parent is None:
            break
        if isinstance(parent, ast.ExceptHandler):
            return None
        if isinstance(parent, (ast.If, ast.IfExp)):
            body = parent.body if isinstance(parent.body, list) else [parent.body]
            if any(child is item for item in body):
                found.append((parent.test, False))
            elif child is not parent.test:
                found.append((parent.test, True))
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and any(child is item for item in block):
                for earlier in block[: next(i for i, item in enumerate(block) if item is child)]:
                    if (
                        isinstance(earlier, ast.If) and not earlier.orelse
                        and _passes_through(earlier.body, call_next, responses)
                    ):
                        found.append((earlier.test, True))
        child = parent
    return found


def _status_code(expr: ast.expr) -> bool:
    name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""
    return name in ("status_code", "status")


def _status_value(expr: ast.expr) -> int | None:
    """``404`` or ``status.HTTP_404_NOT_FOUND`` -> 404."""
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return expr.value
    name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""
    if name.startswith("HTTP_") and name[5:8].isdigit():
        return int(name[5:8])
    return None


_FLIPPED = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_NEGATED = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In}


def _error_only(test: ast.expr, negated: bool) -> bool:
    """``test`` (or its negation) holds only for error responses: ``status_code >= 400``,
    ``> 399``, ``!= 200``, ``in (500, 502)``, ``400 <= status_code``; ``not`` and ``and``/``or``
    of those."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _error_only(test.operand, not negated)
    if isinstance(test, ast.BoolOp):
        results = [_error_only(value, negated) for value in test.values]
        conjunction = isinstance(test.op, ast.And) != negated  # not (a or b) == not a and not b
        return any(results) if conjunction else all(results)
    if not isinstance(test, ast.Compare) or (negated and len(test.ops) > 1):
        return False
    sides = [test.left, *test.comparators]
    for (left, right), op in zip(pairwise(sides), test.ops):
        kind: type | None = type(op)
        if _status_code(right) and not _status_code(left):
            left, right, kind = right, left, _FLIPPED.get(type(op))
        if kind is None or not _status_code(left):
            continue
        if negated:
            kind = _NEGATED.get(kind)
        if kind in (ast.In, ast.NotIn):
            values = [_status_value(v) for v in right.elts] if isinstance(right, (ast.Tuple, ast.List, ast.Set)) else []
            if kind is ast.In and values and all(v is not None and v >= 400 for v in values):
                return True
            continue
        value = _status_value(right)
        if value is None:
            continue
        if (kind is ast.Gt and value >= 399) or (kind is ast.GtE and value >= 400) or (
            kind is ast.NotEq and 200 <= value < 300
        ) or (kind is ast.Eq and value >= 400):
            return True
    return False


def _clip(node: ast.AST, limit: int = 50) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    for fn, call_next, request in _middleware_functions(ctx):
        where = f"middleware `{fn.qualname}`"
        if not fn.is_async:
            if fn.cls is not None:
                yield _def_span(
                    SyncDispatch, fn,
                    f"`{fn.cls.name}.dispatch` is a sync def; Starlette awaits it for every request: "
                    f"declare it async def dispatch(...) and await {call_next}(...)",
                )
            else:
                yield _def_span(
                    SyncHttpMiddleware, fn,
                    f"@middleware(\"http\") function `{fn.name}` is a sync def; Starlette awaits it for every "
                    f"request: declare it async def and await {call_next}(...)",
                )
        argument_calls: set[int] = set()
        for call in fn.calls:
            for arg in (*call.args, *(kw.value for kw in call.keywords)):
                if isinstance(arg, ast.Call):
                    argument_calls.add(id(arg))
        for call in fn.sorted_calls():
            if (
                isinstance(call.func, ast.Name)
                and call.func.id == call_next
                and id(call) not in fn.awaited
                and id(call) not in argument_calls
            ):
                yield CallNextNotAwaited.diagnostic(
                    call, f"`{ast.unparse(call)}` is not awaited in {where}; write `await {ast.unparse(call)}`"
                )
        read_request = False
        for node, what, is_request in _buffering(fn, request):
            if is_request and read_request:
                continue  # the body Starlette already holds
            conditions = _conditions(fn, node, call_next)
            if conditions is None or any(_error_only(test, negated) for test, negated in conditions):
                continue  # only for errors: an error body is small, and rare
            read_request = read_request or is_request
            if conditions:
                test, negated = conditions[-1]  # the outermost: the requests it concerns
                which = "request" if is_request else "response"
                who = f" {'unless' if negated else 'when'} `{_clip(test)}`: each such {which}"
            else:
                who = ": every request"
            yield BufferingMiddleware.diagnostic(
                node,
                f"{where} {what}{who} pays for a full copy; stream the chunks through or use a pure ASGI middleware",
            )
