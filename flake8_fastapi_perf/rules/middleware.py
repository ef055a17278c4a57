"""FPF3xx: middleware written so that it breaks or buffers every request.

``BaseHTTPMiddleware.dispatch`` and ``@app.middleware("http")`` functions are awaited by
Starlette for every request: they must be coroutines, must await ``call_next``, and should pass
bodies through rather than collect them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

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
    loop), or reads `await request.body()` / `await request.json()` in `dispatch`.

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


def _buffering(fn: FunctionInfo, request: str) -> Iterator[tuple[ast.AST, str]]:
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
    for node in nodes:
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and any(
            _is_body_iterator(gen.iter) for gen in node.generators
        ):
            if not isinstance(node, ast.GeneratorExp) or id(node) in joined:
                yield node, "collects response.body_iterator into memory"
        elif isinstance(node, (ast.For, ast.AsyncFor)) and _is_body_iterator(node.iter) and _collects(node):
            yield node.iter, "collects response.body_iterator into memory chunk by chunk"
        elif (
            isinstance(node, ast.Await)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr in ("body", "json")
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == request
        ):
            yield node.value, f"reads the whole request body (`await {request}.{node.value.func.attr}()`)"


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
        for node, what in _buffering(fn, request):
            yield BufferingMiddleware.diagnostic(
                node,
                f"{where} {what}: every request pays for a full copy; stream the chunks through "
                f"or use a pure ASGI middleware",
            )
