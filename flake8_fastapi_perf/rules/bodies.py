"""FPF2xx: request and response bodies held whole in memory.

Uploads and bodies are read whole (``await file.read()``, ``await request.body()``), limits are
checked after the read, "streaming" responses hold the whole payload, and upload endpoints accept
bodies of any size.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator

from ..analysis.context import ModuleContext
from ..analysis.fastapi import APP_CLASSES, parameter_kind
from ..analysis.names import DEPENDS
from ..analysis.scope import OFFLOAD_NAMES, FunctionInfo, walk_function
from ..diagnostics import Diagnostic
from . import Rule

#: The family can only find something in a file that contains one of these.
NEEDLES = (b"UploadFile", b"File(", b"Form(", b"form(", b"body(", b"Response", b"read(")

STREAMING_RESPONSES = frozenset(["fastapi.responses.StreamingResponse", "starlette.responses.StreamingResponse"])
PLAIN_RESPONSES = frozenset(["fastapi.Response", "fastapi.responses.Response", "starlette.responses.Response"])
IN_MEMORY_BUFFERS = frozenset(["io.BytesIO", "io.StringIO"])
FILE_PARAMS = frozenset(
    ["fastapi.File", "fastapi.Form", "fastapi.params.File", "fastapi.params.Form",
     "fastapi.param_functions.File", "fastapi.param_functions.Form"]
)
SEQUENCES = frozenset(["list", "tuple", "set", "typing.List", "typing.Sequence", "typing.Tuple",
                       "typing.Set", "collections.abc.Sequence", "typing.Iterable", "collections.abc.Iterable"])
#: Calls that write or forward a whole body when given it.
SINK_METHODS = frozenset(
    ["write", "write_bytes", "writelines", "put_object", "upload_fileobj", "upload_file", "upload_blob",
     "upload", "put", "post", "patch", "request", "send", "sendall", "set", "setex", "hset", "save", "store"]
)
SINK_KEYWORDS = frozenset(["content", "data", "Body", "body", "fileobj"])
#: Middleware whose name says it limits request bodies (asgi-content-size-limit, ...).
LIMITING_MIDDLEWARE = re.compile(r"(?i)(body|content|request|upload).*(size|limit|length)|(size|limit).*(body|upload)")


class WholeUploadRead(Rule):
    """
    ## What it does
    Flags reading a whole `UploadFile` into memory: `await file.read()` or `file.file.read()`
    with no size, where `file` is an `UploadFile` parameter, an element of a `list[UploadFile]`
    parameter, or a file taken from `await request.form()`.

    ## Why is this bad?
    The upload is already spooled to disk by Starlette; reading it whole puts all of it in the
    worker's memory at once. One 500 MB upload (or ten 50 MB ones at the same time) and the
    worker is killed for running out of memory.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile):
        data = await file.read()
        with open(f"/srv/{file.filename}", "wb") as out:
            out.write(data)
    ```

    ## Use instead
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile):
        with open(f"/srv/{file.filename}", "wb") as out:
            while chunk := await file.read(1024 * 1024):
                out.write(chunk)
    ```
    or, in a `def` endpoint, `shutil.copyfileobj(file.file, out)`.

    ## Fix safety
    When the bytes are only written to a file object, the fix turns the read into a chunked copy
    loop; it is safe: the same bytes are written.
    """

    code = "FPF201"
    name = "whole-upload-read"
    summary = "an `UploadFile` is read whole into memory"
    fix = "safe"


class WholeBodyRead(Rule):
    """
    ## What it does
    Flags `await request.body()` in an endpoint whose route, router and app set no
    `max_body_size`, when the bytes are then written to a file or storage, or forwarded whole
    (`client.post(url, content=body)`). Bytes given to a function run in a thread
    (`run_in_threadpool(handler, body)`, `asyncio.to_thread`, `anyio.to_thread.run_sync`) count
    only when that function writes or sends them (`asyncio.to_thread(path.write_bytes, body)`).
    Reported once per request: Starlette keeps the body after the first read.

    ## Why is this bad?
    The whole request body is held in memory, with no limit on its size: a proxy or an upload
    endpoint written this way lets one client exhaust the worker's memory. Webhooks that only
    verify a signature and parse a small payload are not flagged.

    ## Example
    ```python
    @app.put("/blobs/{name}")
    async def put_blob(name: str, request: Request):
        body = await request.body()
        with open(BLOBS / name, "wb") as out:
            out.write(body)
    ```

    ## Use instead
    ```python
    @app.put("/blobs/{name}")
    async def put_blob(name: str, request: Request):
        with open(BLOBS / name, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
    ```
    or set `max_body_size` on the route, router or app.

    ## Fix safety
    When the body is only written to a file, the fix streams it with `request.stream()`. It is
    safe: every request that completes writes the same bytes. One difference remains on the
    error path: a client that disconnects half-way now leaves a partial file where before nothing
    was written; clean up in an `except` if that matters.
    """

    code = "FPF202"
    name = "whole-body-read"
    summary = "`await request.body()` read whole and written or forwarded, with no body size limit"
    fix = "safe"


class LimitAfterRead(Rule):
    """
    ## What it does
    Flags a size limit that is checked only after the whole upload or body was read:
    `data = await file.read()` followed by `if len(data) > LIMIT: ...`. Reported instead of
    FPF201/FPF202.

    ## Why is this bad?
    The check comes too late: by the time `len(data)` is compared, the whole upload is already in
    memory. The limit protects nothing.

    ## Example
    ```python
    data = await file.read()
    if len(data) > MAX_SIZE:
        raise HTTPException(413)
    ```

    ## Use instead
    ```python
    data = await file.read(MAX_SIZE + 1)
    if len(data) > MAX_SIZE:
        raise HTTPException(413)
    ```

    ## Fix safety
    The fix reads at most `LIMIT + 1` bytes, using the limit from the check that follows; it is
    safe: accepted uploads are read the same, oversized ones are rejected as before.
    """

    code = "FPF203"
    name = "limit-checked-after-read"
    summary = "a size limit checked only after the whole upload/body was read"
    fix = "safe"


class UnlimitedUploads(Rule):
    """
    ## What it does
    Flags a `FastAPI(...)` or `APIRouter(...)` (or `Starlette(...)`) whose routes accept uploads
    (an `UploadFile`, `File()` or `Form()` parameter, or `await request.form()` on a `Request`, in
    the route or in a dependency defined in the module) when neither the route, its router nor
    an app or router of the module it is included in sets `max_body_size` or `form_limits`, and
    no body-size-limiting middleware is added in the module (one named so, or a middleware class
    or `@app.middleware("http")` function of the module that answers 413). Reported once per
    app/router, at its constructor, naming a route that accepts uploads (files), else one that
    accepts form bodies: a form route takes a multipart body too, and Starlette spools its file
    parts to /tmp whether the route declares files or not. Limits set in another module (the
    parent app, a middleware added elsewhere) are not seen.

    ## Why is this bad?
    Multipart uploads are spooled to memory and then to a temporary file with no size limit: a
    client can fill the worker's memory or `/tmp` (the error users then see is "There was an
    error parsing the body", really ENOSPC).

    ## Example
    ```python
    router = APIRouter(prefix="/files")

    @router.post("/")
    async def upload(file: UploadFile): ...
    ```

    ## Use instead
    ```python
    router = APIRouter(prefix="/files", max_body_size=50 * 1024 * 1024)
    ```
    In Starlette code, limit the parts: `await request.form(max_part_size=..., max_files=...)`.

    ## Fix safety
    No automatic fix: the right limit depends on the application.
    """

    code = "FPF204"
    name = "unlimited-upload-size"
    summary = "routes accept uploads with no body size limit on the route, router or app"


class StreamingInMemory(Rule):
    """
    ## What it does
    Flags responses that hold the whole payload in memory behind a streaming facade:
    `StreamingResponse(io.BytesIO(...))`, `StreamingResponse(iter([data]))`, and
    `Response(content=<file>.read())` / `Response(content=path.read_bytes())`. A file changed
    before it is returned (`html = html.replace(...)`, `data = gzip.compress(data)`) is new
    content that only exists in memory: not flagged.

    ## Why is this bad?
    `StreamingResponse` only saves memory when its iterator produces the data piece by piece; an
    in-memory buffer means the whole file or report was already built in memory. Reading a file
    into a `Response` does the same for every download.

    ## Example
    ```python
    @app.get("/export")
    async def export():
        return StreamingResponse(io.BytesIO(Path("export.csv").read_bytes()), media_type="text/csv")
    ```

    ## Use instead
    ```python
    @app.get("/export")
    async def export():
        return FileResponse("export.csv", media_type="text/csv")
    ```
    or `StreamingResponse(generate_rows())` with a generator.

    ## Fix safety
    When the source is a path, the fix replaces the response with `FileResponse(path)`. It is
    unsafe: headers (`Content-Disposition`, `ETag`) and range support change.
    """

    code = "FPF205"
    name = "streaming-response-in-memory"
    summary = "a streaming/plain response holding the whole payload in memory"
    fix = "unsafe"


# -- helpers -----------------------------------------------------------------------------------

def _unwrap_annotation(ctx: ModuleContext, annotation: ast.expr | None, fn: FunctionInfo) -> ast.expr | None:
    """``Annotated[X, ...]`` / ``Optional[X]`` / ``X | None`` -> ``X``."""
    for _ in range(5):
        if isinstance(annotation, ast.Subscript):
            base = ctx.resolver.qualname(annotation.value, fn.parent) or ""
            if base.endswith(("Annotated", "Optional")):
                inner = annotation.slice
                annotation = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
                continue
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            right = annotation.right
            annotation = annotation.left if isinstance(right, ast.Constant) and right.value is None else annotation.right
            continue
        break
    return annotation


def _arguments(fn: FunctionInfo) -> list[ast.arg]:
    args = fn.node.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


class _Bodies:
    """What one function does with uploads and request bodies."""

    def __init__(self, ctx: ModuleContext, fn: FunctionInfo) -> None:
        self.ctx = ctx
        self.fn = fn
        self.uploads: set[str] = set()
        self.upload_lists: set[str] = set()
        self.forms: set[str] = set()
        self.requests: set[str] = set()
        self.assigned: dict[int, str] = {}  # id(call) -> name its (awaited) result is bound to
        self.nodes = list(walk_function(fn))
        resolver = ctx.resolver
        for arg in _arguments(fn):
            kind = parameter_kind(resolver, fn, arg)
            if kind == "upload":
                annotation = _unwrap_annotation(ctx, arg.annotation, fn)
                is_list = isinstance(annotation, ast.Subscript) and (
                    resolver.qualname(annotation.value, fn.parent) in SEQUENCES
                )
                (self.upload_lists if is_list else self.uploads).add(arg.arg)
            elif kind == "request" or (arg.arg in ("request", "req") and arg.annotation is None):
                self.requests.add(arg.arg)
        fors: list[ast.For | ast.AsyncFor | ast.comprehension] = []
        binds: list[tuple[str, ast.expr]] = []
        for node in self.nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                binds.append((node.targets[0].id, node.value))
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.value:
                binds.append((node.target.id, node.value))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                fors.append(node)
            elif isinstance(node, ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name) and self._is_form_call(item.context_expr):
                        self.forms.add(item.optional_vars.id)
        for name, value in binds:
            inner = value.value if isinstance(value, ast.Await) else value
            if isinstance(inner, ast.Call):
                self.assigned[id(inner)] = name
            if self._is_form_call(inner):
                self.forms.add(name)
        for _ in range(2):  # uploads taken from forms and lists, in any order
            for name, value in binds:
                if self._is_upload_expr(value):
                    self.uploads.add(name)
                elif self._is_upload_list_expr(value):
                    self.upload_lists.add(name)
            for loop in fors:
                if isinstance(loop.target, ast.Name) and self._is_upload_list_expr(loop.iter):
                    self.uploads.add(loop.target.id)

    def _is_form_call(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Await):
            expr = expr.value
        return (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "form"
            and isinstance(expr.func.value, ast.Name)
            and expr.func.value.id in self.requests
        )

    def _is_upload_expr(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Name):
            return expr.id in self.uploads
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
            return expr.value.id in self.forms or expr.value.id in self.upload_lists
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get":
            return isinstance(expr.func.value, ast.Name) and expr.func.value.id in self.forms
        return False

    def _is_upload_list_expr(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Name):
            return expr.id in self.upload_lists
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            owner = expr.func.value
            if isinstance(owner, ast.Name) and owner.id in self.forms and expr.func.attr in ("getlist", "values"):
                return True
        return False

    def size_checked(self, name: str) -> bool:
        """``name.size`` is compared with something somewhere in the function."""
        for node in self.nodes:
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    if (
                        isinstance(side, ast.Attribute)
                        and side.attr == "size"
                        and isinstance(side.value, ast.Name)
                        and side.value.id == name
                    ):
                        return True
        return False

    def len_checked_after(self, name: str, line: int) -> bool:
        """``len(name)`` (directly or through ``n = len(name)``) is compared after ``line``."""
        lengths = {name}
        for node in self.nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if _is_len_of(node.value, {name}):
                    lengths.add(node.targets[0].id)
        for node in self.nodes:
            if isinstance(node, ast.Compare) and node.lineno > line and any(
                isinstance(op, (ast.Gt, ast.GtE, ast.Lt, ast.LtE)) for op in node.ops
            ):
                for side in (node.left, *node.comparators):
                    if _is_len_of(side, {name}) or (
                        isinstance(side, ast.Name) and side.id in lengths and side.id != name
                    ):
                        return True
        return False

    def flows_to_sink(self, name: str | None, call: ast.Call) -> bool:
        """The value (bound to ``name``, or ``call`` itself) is written or forwarded whole: given to
        a write/upload/send method (``out.write(body)``, ``s3.put_object(...)``), or as the
        ``content=``/``data=``/``body=`` of a call (``client.post(url, content=body)``).  Given to a
        function run in a thread (``run_in_threadpool(handler, body)``, ``asyncio.to_thread``,
        ``anyio.to_thread.run_sync``, ``functools.partial`` in them...), it is forwarded only when
        that function is itself such a method (``to_thread(out.write, body)``)."""
        def is_value(expr: ast.expr) -> bool:
            if isinstance(expr, ast.Await):
                expr = expr.value
            return expr is call or (name is not None and isinstance(expr, ast.Name) and expr.id == name)

        offloads = [(node, _offloaded(node)) for node in self.nodes
                    if isinstance(node, ast.Call) and _call_name(node) in OFFLOAD_NAMES]
        judged = {id(target) for _, (target, _, _) in offloads if isinstance(target, ast.Call)}
        for node, (target, args, keywords) in offloads:
            if isinstance(target, ast.Call):  # functools.partial(f, ...)
                target, args, keywords = _partial(target, args, keywords)
            if isinstance(target, ast.Lambda):
                if isinstance(target.body, ast.Call) and _sink_call(target.body, is_value):
                    return True
            elif target is not None and _label(target) in SINK_METHODS and any(
                is_value(v) for v in (*args, *(kw.value for kw in keywords))
            ):
                return True
        offloading = {id(node) for node, _ in offloads}
        for node in self.nodes:
            if (
                isinstance(node, ast.Call) and node is not call
                and id(node) not in offloading and id(node) not in judged
                and _sink_call(node, is_value)
            ):
                return True
        return False


def _label(expr: ast.expr) -> str:
    return expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""


def _call_name(call: ast.Call) -> str:
    """``run_in_threadpool`` for ``run_in_threadpool(...)``, ``asyncify`` for ``asyncify(f)(...)``."""
    func = call.func
    return _label(func.func) if isinstance(func, ast.Call) else _label(func)


def _sink_call(node: ast.Call, is_value) -> bool:  # type: ignore[no-untyped-def]
    """``node`` writes or forwards a value ``is_value`` accepts."""
    attr = _label(node.func)
    if attr.endswith("Response"):
        return False
    if attr in SINK_METHODS and any(is_value(a) for a in node.args):
        return True
    return any(kw.arg in SINK_KEYWORDS and is_value(kw.value) for kw in node.keywords)


def _offloaded(call: ast.Call) -> tuple[ast.expr | None, list[ast.expr], list[ast.keyword]]:
    """(the function an offloading call runs, its arguments, its keywords):
    ``run_in_threadpool(f, *a, **k)``, ``asyncio.to_thread(f, ...)``, ``anyio.to_thread.run_sync(f,
    ...)``, ``loop.run_in_executor(executor, f, *a)``, ``asyncify(f)(*a, **k)``."""
    if isinstance(call.func, ast.Call):  # asyncify(f)(...)
        inner = call.func
        return (inner.args[0] if inner.args else None), list(call.args), list(call.keywords)
    args = list(call.args)
    if _label(call.func) == "run_in_executor":
        args = args[1:]
    if not args or isinstance(args[0], ast.Starred):
        return None, [], []
    return args[0], args[1:], list(call.keywords)


def _partial(target: ast.Call, args: list[ast.expr], keywords: list[ast.keyword]):  # type: ignore[no-untyped-def]
    """``partial(f, *a, **k)`` given ``args``/``keywords`` -> (f, a + args, k + keywords); another call
    -> (None, [], [])."""
    if _label(target.func) != "partial" or not target.args:
        return None, [], []
    return target.args[0], [*target.args[1:], *args], [*target.keywords, *keywords]


def _is_len_of(expr: ast.expr, names: set[str]) -> bool:
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "len"
        and len(expr.args) == 1
        and isinstance(expr.args[0], ast.Name)
        and expr.args[0].id in names
    )


def _unsized(call: ast.Call) -> bool:
    """``read()`` or ``read(-1)``: everything."""
    if not call.args and not call.keywords:
        return True
    size = call.args[0] if call.args else next((kw.value for kw in call.keywords if kw.arg in ("size", "n")), None)
    if size is None:
        return False
    if isinstance(size, ast.UnaryOp) and isinstance(size.op, ast.USub) and isinstance(size.operand, ast.Constant):
        return True
    return isinstance(size, ast.Constant) and size.value is None


def _has_keyword(call: ast.Call | None, name: str) -> bool:
    return call is not None and any(kw.arg == name for kw in call.keywords)


def _where(ctx: ModuleContext, fn: FunctionInfo) -> str:
    role = ctx.fastapi.role(fn)
    if role is None:
        return f"{'async ' if fn.is_async else ''}function `{fn.qualname}`"
    return ctx.fastapi.describe(fn)


def _source(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- checks ------------------------------------------------------------------------------------

def _check_reads(ctx: ModuleContext, fn: FunctionInfo, limited: Callable[[], set[str]]) -> Iterator[Diagnostic]:
    calls = [
        c for c in fn.calls
        if isinstance(c.func, ast.Attribute) and c.func.attr in ("read", "body")
    ]
    if not calls:
        return
    info = _Bodies(ctx, fn)
    if not (info.uploads or info.upload_lists or info.forms or info.requests):
        return
    where = _where(ctx, fn)
    forwarded: set[str] = set()  # requests whose body was reported: Starlette reads a body once
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        func = call.func
        assert isinstance(func, ast.Attribute)
        receiver = func.value
        if func.attr == "read":
            if not _unsized(call):
                continue
            if id(call) in fn.awaited and info._is_upload_expr(receiver):
                upload = receiver
            elif (
                isinstance(receiver, ast.Attribute)
                and receiver.attr == "file"
                and info._is_upload_expr(receiver.value)
            ):
                upload = receiver.value
            else:
                continue
            upload_name = upload.id if isinstance(upload, ast.Name) else None
            if upload_name is not None and info.size_checked(upload_name):
                continue
            shown = ("await " if id(call) in fn.awaited else "") + _source(call)
            target = info.assigned.get(id(call))
            if target is not None and info.len_checked_after(target, call.lineno):
                yield LimitAfterRead.diagnostic(
                    call,
                    f"the size of `{target}` is checked only after `{shown}` read the whole upload into "
                    f"memory in {where}; read at most LIMIT + 1 bytes ({_source(receiver)}"
                    f".read(LIMIT + 1)) or check .size first",
                )
            else:
                yield WholeUploadRead.diagnostic(
                    call,
                    f"`{shown}` reads the whole upload into memory in {where}; copy it in chunks "
                    f"(while chunk := await f.read(1024 * 1024): ...) or with shutil.copyfileobj(f.file, out) in a def",
                )
        elif (
            func.attr == "body"
            and id(call) in fn.awaited
            and isinstance(receiver, ast.Name)
            and receiver.id in info.requests
            and not call.args
        ):
            target = info.assigned.get(id(call))
            if target is not None and info.len_checked_after(target, call.lineno):
                yield LimitAfterRead.diagnostic(
                    call,
                    f"the size of `{target}` is checked only after `await {receiver.id}.body()` read the whole "
                    f"body into memory in {where}; set max_body_size on the route or app, or count the bytes "
                    f"while iterating {receiver.id}.stream()",
                )
                continue
            if receiver.id in forwarded or ctx.fastapi.role(fn) != "endpoint" or _route_limited(ctx, fn, limited):
                continue
            if info.flows_to_sink(target, call):
                forwarded.add(receiver.id)
                yield WholeBodyRead.diagnostic(
                    call,
                    f"`await {receiver.id}.body()` holds the whole request body in memory and writes or forwards it "
                    f"whole in {where}, with no max_body_size on the route, router or app; stream it with "
                    f"`async for chunk in {receiver.id}.stream()`",
                )


#: Keywords of an app, a router or a route that bound what an upload may cost: the whole body
#: (``max_body_size``, FastAPI >= 0.164) or the multipart parts (``form_limits``, FastAPI >= 0.165).
BODY_LIMITS = ("max_body_size",)
UPLOAD_LIMITS = ("max_body_size", "form_limits")


def _limited_owners(ctx: ModuleContext, keywords: tuple[str, ...] = BODY_LIMITS) -> set[str]:
    """Module-level apps/routers with a body size limit: their own, or that of an app or router of
    this module they are included in (through any number of ``include_router`` calls, in any
    order, at import time or in an app factory of this module)."""
    resolver = ctx.resolver

    def limits(call: ast.expr) -> bool:
        return isinstance(call, ast.Call) and any(kw.arg in keywords for kw in call.keywords)

    limited = {name for name, (_, call) in ctx.fastapi.apps.items() if limits(call)}
    includes: list[tuple[str, str, FunctionInfo | None]] = []
    for fn, calls in [(None, ctx.module.module_calls), *((f, f.calls) for f in ctx.module.all_functions)]:
        for call in calls:
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "include_router"
                and isinstance(func.value, ast.Name)
                and call.args
                and isinstance(call.args[0], ast.Name)
            ):
                includes.append((func.value.id, call.args[0].id, fn))
    changed = True
    while changed:
        changed = False
        for owner, child, fn in includes:
            if child in limited or (fn is not None and child in fn.assigns):
                continue  # a router local to a function is not one of the module's
            if fn is not None and owner in fn.assigns:  # an app built in a factory
                owner_limited = any(
                    limits(v) and resolver.qualname(v.func, fn) in APP_CLASSES  # type: ignore[union-attr]
                    for v in fn.assigns[owner]
                )
            else:
                owner_limited = owner in limited
            if owner_limited:
                limited.add(child)
                changed = True
    return limited


def _route_limited(ctx: ModuleContext, fn: FunctionInfo, limited: Callable[[], set[str]]) -> bool:
    decorator = ctx.fastapi.route_decorators.get(id(fn.node))
    if decorator is None:
        return False
    if _has_keyword(decorator, "max_body_size"):
        return True
    owner = decorator.func.value if isinstance(decorator.func, ast.Attribute) else None
    return isinstance(owner, ast.Name) and owner.id in limited()


def _dependencies(ctx: ModuleContext, fn: FunctionInfo, metas: list[ast.expr]) -> Iterator[FunctionInfo]:
    """The functions of this module that ``Depends(...)``/``Security(...)`` calls among ``metas``
    name."""
    for meta in metas:
        if isinstance(meta, ast.Call) and ctx.resolver.qualname(meta.func, fn.parent) in DEPENDS:
            target = meta.args[0] if meta.args else next(
                (kw.value for kw in meta.keywords if kw.arg == "dependency"), None
            )
            dependency = ctx.resolver.function_ref(target, fn.parent) if target is not None else None
            if dependency is not None and dependency is not fn:
                yield dependency


def _accepts_uploads(ctx: ModuleContext, fn: FunctionInfo, extra: list[ast.expr] | None = None,
                     starlette: bool = False, depth: int = 0) -> str | None:
    """"files" (an UploadFile/File() parameter), "form" (Form() or ``await request.form()`` on a
    Request), or None; in ``fn`` or in the dependencies of this module it declares (``extra``:
    the route decorator's ``dependencies=[...]``), whose parameters FastAPI reads from the same body.
    ``starlette``: ``fn`` is a route of a Starlette app (its first parameter is the request)."""
    resolver = ctx.resolver
    args = fn.node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
    found: str | None = None
    dependency_calls: list[ast.expr] = list(extra or ())
    for arg, default in pairs:
        if parameter_kind(resolver, fn, arg) == "upload":
            return "files"
        metas = [default] if isinstance(default, ast.Call) else []
        annotation = arg.annotation
        if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
            metas += [m for m in annotation.slice.elts[1:] if isinstance(m, ast.Call)]
        for meta in metas:
            q = resolver.qualname(meta.func, fn.parent)
            if q in FILE_PARAMS:
                if q.endswith("File"):
                    return "files"
                found = "form"
            else:
                dependency_calls.append(meta)
    if found is None and _awaits_request_form(ctx, fn, starlette=starlette, unlimited_only=starlette):
        found = "form"
    if depth < 3:
        for dependency in _dependencies(ctx, fn, dependency_calls):
            kind = _accepts_uploads(ctx, dependency, None, False, depth + 1)
            if kind == "files":
                return kind
            found = found or kind
    return found


def _route_dependencies(decorator: ast.Call) -> list[ast.expr]:
    """The ``Depends(...)`` calls of a route decorator's ``dependencies=[...]``."""
    for kw in decorator.keywords:
        if kw.arg == "dependencies" and isinstance(kw.value, (ast.List, ast.Tuple)):
            return list(kw.value.elts)
    return []


def _awaits_request_form(ctx: ModuleContext, fn: FunctionInfo, starlette: bool = False,
                         unlimited_only: bool = False) -> bool:
    """``fn`` awaits ``request.form()`` (or enters ``async with request.form()``) on a Starlette/
    FastAPI ``Request``: a parameter annotated ``Request`` or, in a Starlette endpoint
    (``starlette``), its first parameter.  ``unlimited_only``: only a call without
    ``max_files``/``max_fields``/``max_part_size``.  A ``.form(...)`` of anything else (an HTML
    builder, a WTForms object, a model named ``request``) is no request body."""
    forms = [
        c for c in fn.calls
        if isinstance(c.func, ast.Attribute) and c.func.attr == "form" and isinstance(c.func.value, ast.Name)
        and not (unlimited_only and c.keywords)
    ]
    if not forms:
        return False
    arguments = _arguments(fn)
    requests = {a.arg for a in arguments if parameter_kind(ctx.resolver, fn, a) == "request"}
    if starlette:
        plain = [a for a in arguments if a.arg not in ("self", "cls")]
        if plain:
            requests.add(plain[0].arg)
    entered = {
        id(item.context_expr)
        for node in walk_function(fn) if isinstance(node, ast.AsyncWith)
        for item in node.items
    }
    return any(
        c.func.value.id in requests and (id(c) in fn.awaited or id(c) in entered)  # type: ignore[attr-defined]
        for c in forms
    )


def _limiting_code(node: ast.AST) -> bool:
    """The code answers 413 (Content Too Large): it enforces a body size limit."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and type(sub.value) is int and sub.value == 413:
            return True
        name = sub.attr if isinstance(sub, ast.Attribute) else sub.id if isinstance(sub, ast.Name) else ""
        if name.startswith("HTTP_413"):
            return True
    return False


def _module_limits_bodies(ctx: ModuleContext) -> bool:
    """A body-size-limiting middleware is added somewhere in the module: one whose name says so,
    a class of this module that answers 413, or an ``@app.middleware("http")`` function of this
    module that does."""
    for fn in ctx.module.all_functions:
        if ctx.fastapi.role(fn) == "middleware" and fn.cls is None and _limiting_code(fn.node):
            return True
    for call in ctx.module.module_calls + [c for fn in ctx.module.all_functions for c in fn.calls]:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("add_middleware", "Middleware") and call.args:
            target = call.args[0]
            label = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
            if LIMITING_MIDDLEWARE.search(label):
                return True
            local = ctx.module.classes.get(label) if isinstance(target, ast.Name) else None
            if local is not None and _limiting_code(local.node):
                return True
    return False


def _check_unlimited_uploads(ctx: ModuleContext) -> Iterator[Diagnostic]:
    model = ctx.fastapi
    if not model.apps:
        return
    # One finding per constructor (an app may have two names, a Starlette app both decorated
    # routes and routes=[...]), naming a route that really accepts uploads: one with files if
    # there is one, else the first with a form.
    uploads: dict[int, tuple[str, FunctionInfo, str]] = {}  # id(constructor) -> (name, route, kind)
    for fn in ctx.module.all_functions:
        decorator = model.route_decorators.get(id(fn.node))
        if decorator is None or not isinstance(decorator.func, ast.Attribute):
            continue
        owner = decorator.func.value
        if not isinstance(owner, ast.Name) or owner.id not in model.apps:
            continue
        if any(_has_keyword(decorator, kw) for kw in UPLOAD_LIMITS):
            continue
        key = id(model.apps[owner.id][1])
        if key in uploads and uploads[key][2] == "files":
            continue
        accepts = _accepts_uploads(ctx, fn, _route_dependencies(decorator), _is_starlette(ctx, owner.id))
        if accepts == "files" or (accepts == "form" and key not in uploads):
            uploads[key] = (owner.id, fn, accepts)
    for name, call, fn in _starlette_upload_routes(ctx):
        uploads.setdefault(id(call), (name, fn, "form"))
    if not uploads or _module_limits_bodies(ctx):
        return
    limited = _limited_owners(ctx, UPLOAD_LIMITS)
    for name, fn, accepts in sorted(uploads.values(), key=lambda item: model.apps[item[0]][1].lineno):
        if name in limited:
            continue
        kind, call = model.apps[name]
        if _is_starlette(ctx, name):
            yield UnlimitedUploads.diagnostic(
                call,
                f"this Starlette app accepts uploads (`{fn.qualname}` calls request.form()) with no body size "
                f"limit and no body-size-limiting middleware; pass request.form(max_part_size=..., max_files=...) "
                f"and limit the body size in a middleware",
            )
            continue
        constructor = "FastAPI" if kind == "app" else "APIRouter"
        what = (f"uploads (`{fn.qualname}` at line {fn.node.lineno})" if accepts == "files" else
                f"form bodies (`{fn.qualname}` at line {fn.node.lineno}; a multipart form's file parts are "
                f"spooled to /tmp whether the route declares files or not)")
        yield UnlimitedUploads.diagnostic(
            call,
            f"`{name}` accepts {what} but no max_body_size is set on "
            f"the route, router or app and no body-size-limiting middleware is added; one request can fill "
            f"memory or /tmp: set {constructor}(max_body_size=...) or max_body_size on the route",
        )


def _is_starlette(ctx: ModuleContext, name: str) -> bool:
    return ctx.resolver.qualname(ctx.fastapi.apps[name][1].func) == "starlette.applications.Starlette"


def _starlette_upload_routes(ctx: ModuleContext) -> list[tuple[str, ast.Call, FunctionInfo]]:
    """(name, Starlette constructor, the first route of its ``routes=[...]`` whose endpoint awaits
    ``request.form()`` without limits)."""
    found = []
    for name, (kind, call) in ctx.fastapi.apps.items():
        if not _is_starlette(ctx, name):
            continue
        for kw in call.keywords:
            if kw.arg != "routes" or not isinstance(kw.value, (ast.List, ast.Tuple)):
                continue
            for route in kw.value.elts:
                if isinstance(route, ast.Call) and len(route.args) >= 2:
                    endpoint = ctx.resolver.function_ref(route.args[1], None)
                    if endpoint is not None and _awaits_request_form(ctx, endpoint, starlette=True, unlimited_only=True):
                        found.append((name, call, endpoint))
                        break
    return found


def _opened_file_names(fn: FunctionInfo, nodes: list[ast.AST]) -> set[str]:
    names = set()
    for node in nodes:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and _is_open_call(item.context_expr):
                    names.add(item.optional_vars.id)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if _is_open_call(node.value):
                names.add(node.targets[0].id)
    return names


def _is_open_call(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and (
        (isinstance(expr.func, ast.Name) and expr.func.id == "open")
        or (isinstance(expr.func, ast.Attribute) and expr.func.attr == "open")
    )


def _check_responses(ctx: ModuleContext, fn: FunctionInfo) -> Iterator[Diagnostic]:
    resolver = ctx.resolver
    candidates = []
    for call in fn.calls:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("StreamingResponse", "Response"):
            q = resolver.qualname(func, fn)
            if q in STREAMING_RESPONSES or q in PLAIN_RESPONSES:
                candidates.append((call, q))
    if not candidates:
        return
    nodes = list(walk_function(fn))
    where = _where(ctx, fn)
    for call, q in sorted(candidates, key=lambda item: (item[0].lineno, item[0].col_offset)):
        content = call.args[0] if call.args else next((kw.value for kw in call.keywords if kw.arg == "content"), None)
        if content is None:
            continue
        if q in STREAMING_RESPONSES:
            if _in_memory(ctx, content, fn, nodes):
                yield StreamingInMemory.diagnostic(
                    call,
                    f"`StreamingResponse({_source(content, 40)})` holds the whole payload in memory in {where}; "
                    f"stream it from a generator, or return FileResponse(path) for a file",
                )
            continue
        opened = _opened_file_names(fn, nodes)
        if _is_file_payload(content, opened, nodes, call.lineno):
            yield StreamingInMemory.diagnostic(
                call,
                f"`Response({_source(content, 40)})` reads the whole file into memory in {where}; "
                f"return FileResponse(path), which streams it",
            )


#: Calls that fill an in-memory buffer with a whole archive or table, given the buffer.
BUFFER_WRITERS = frozenset(["ZipFile", "open", "writer", "DictWriter", "to_csv", "to_excel", "to_parquet",
                            "to_json", "copyfileobj", "write_bytes"])


def _in_memory(ctx: ModuleContext, content: ast.expr, fn: FunctionInfo, nodes: list[ast.AST]) -> bool:
    """``content`` is a buffer or list holding a payload that could have been streamed: a file read
    whole, or an archive/table written into an ``io.BytesIO``.  Bytes that exist only in memory
    anyway (a decoded image, a blob from the database) are not reported: no alternative saves memory.
    """
    opened = _opened_file_names(fn, nodes)
    if isinstance(content, (ast.List, ast.Tuple)):
        return any(_is_file_payload(elt, opened, nodes, content.lineno) for elt in content.elts)
    if isinstance(content, ast.Call):
        q = ctx.resolver.qualname(content.func, fn)
        if q in IN_MEMORY_BUFFERS:
            return bool(content.args) and _is_file_payload(content.args[0], opened, nodes, content.lineno)
        if q == "iter" and content.args and isinstance(content.args[0], (ast.List, ast.Tuple)):
            return any(_is_file_payload(elt, opened, nodes, content.lineno) for elt in content.args[0].elts)
        return False
    if isinstance(content, ast.Name) and ctx.resolver.type_of(content, fn) == "io.BytesIO":
        name = content.id
        for node in nodes:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                value = node.value
                if isinstance(value, ast.Call) and value.args and _is_file_payload(value.args[0], opened, nodes, node.lineno):
                    return True
            if isinstance(node, ast.Call):
                func = node.func
                label = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if label in BUFFER_WRITERS and any(
                    isinstance(a, ast.Name) and a.id == name for a in (*node.args, *(k.value for k in node.keywords))
                ):
                    return True
    return False


def _is_file_payload(expr: ast.expr, opened: set[str], nodes: list[ast.AST], used_at: int) -> bool:
    """A file read whole, directly or through a local name, and not changed before ``used_at``:
    ``html = path.read_text(); html = html.replace(...)`` is a new text, not the file (no
    ``FileResponse`` could send it)."""
    if _reads_whole_file(expr, opened):
        return True
    if not isinstance(expr, ast.Name):
        return False
    name = expr.id
    reads = [
        n for n in nodes
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
        and n.targets[0].id == name and _reads_whole_file(n.value, opened)
    ]
    changes = [n.lineno for n in nodes if _derives(n, name)]
    return any(not any(read.lineno < line <= used_at for line in changes) for read in reads)


def _derives(node: ast.AST, name: str) -> bool:
    """``node`` binds ``name`` to a value made from ``name``: ``name = name.replace(...)``,
    ``name = f(name)``, ``name += ...``."""
    if isinstance(node, ast.AugAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Name) and t.id == name for t in targets) and any(
            isinstance(sub, ast.Name) and sub.id == name for sub in ast.walk(node.value)
        )
    return False


def _reads_whole_file(expr: ast.expr, opened: set[str]) -> bool:
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
        return False
    attr = expr.func.attr
    if attr in ("read_bytes", "read_text"):
        return True
    if attr == "read" and not expr.args:
        receiver = expr.func.value
        return (isinstance(receiver, ast.Name) and receiver.id in opened) or _is_open_call(receiver)
    return False


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    limited = functools.cache(lambda: _limited_owners(ctx))  # worked out once, if a read needs it
    for fn in ctx.module.all_functions:
        yield from _check_reads(ctx, fn, limited)
        yield from _check_responses(ctx, fn)
    yield from _check_unlimited_uploads(ctx)
