"""FPF5xx: global state, caches and tasks.

A worker process lives for days and serves millions of requests: whatever request code adds to
module-level state and never removes is a memory leak, and ``functools`` caches are module-level
state too.  These rules look for growth that is really unbounded (keys that come from requests),
not for every cache: a dict filled at import time, keyed by a handful of model names or holding
one client per provider is fine and stays silent.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..analysis.context import ModuleContext
from ..analysis.fastapi import parameter_kind
from ..analysis.names import DEPENDS, Resolver
from ..analysis.scope import FunctionInfo, child_nodes, is_static
from ..data import state as tables
from ..diagnostics import Diagnostic
from . import Rule

#: The family can only find something in a file that contains one of these: request roles
#: need a FastAPI/Starlette import (FPF501), the cache rules a ``functools`` cache decorator
#: (FPF502, FPF503, FPF505: every spelling contains ``cache``), FPF504 a task-spawning call.
NEEDLES = (b"fastapi", b"starlette", b"cache", b"create_task", b"ensure_future")

#: Roles whose code runs once per request.
REQUEST_ROLES = frozenset(["endpoint", "websocket", "middleware", "dependency", "exception_handler"])
#: Roles whose parameters FastAPI fills from the client's request.
CLIENT_ROLES = frozenset(["endpoint", "websocket", "dependency"])
#: Request attributes whose values the client chooses.
CLIENT_ATTRIBUTES = frozenset(["headers", "query_params", "cookies", "url", "client", "path_params", "form", "json"])


class UnboundedGlobalGrowth(Rule):
    """
    ## What it does
    Flags a module-level `dict`, `list`, `set`, `defaultdict`, `OrderedDict`, `Counter` or
    `deque` without `maxlen` that request code (path operations, dependencies, middleware,
    exception handlers, and the functions of the same module they call, at any depth) adds to
    with keys that come from requests (user, session or request ids, tokens, URLs, prompts...)
    or appends to on every call, when nothing in the module ever takes anything out of it: no
    `pop`, `popitem`, `del`, `clear`, `remove`, `discard`, no reassignment through `global`, no
    `len()` bound check, and the container is not handed to other code that could.

    Silent on containers filled at import time or in lifespan/startup handlers, on keys from a
    small fixed domain (constants, enum members, settings, model/provider/kind names, one entry
    per event loop or thread), on bounded containers (`deque(maxlen=...)`, `cachetools`
    caches, `weakref` dicts) and on `self.x` attributes.

    ## Why is this bad?
    A worker serves requests for days. A dict that gains one entry per user, session or request
    and never loses one is a memory leak: the process grows until it is OOM-killed, and with
    several workers each one holds its own copy anyway.

    ## Example
    ```python
    _sessions = {}

    @app.post("/login")
    async def login(form: LoginForm):
        session_id = secrets.token_urlsafe()
        _sessions[session_id] = form.username
        return {"session": session_id}
    ```

    ## Use instead
    ```python
    _sessions = cachetools.TTLCache(maxsize=10_000, ttl=3600)
    ```
    or evict entries (`_sessions.pop(session_id, None)` on logout), or keep the state in Redis
    or the database.

    ## Fix safety
    There is no automatic fix: the right bound and eviction policy depend on the data.
    """

    code = "FPF501"
    name = "unbounded-global-growth"
    summary = "request code adds to a module-level container that nothing ever evicts from"
    fix = None


class UnboundedCache(Rule):
    """
    ## What it does
    Flags `@functools.cache` and `@functools.lru_cache(maxsize=None)` on a function whose
    arguments come from requests: a parameter named after request data (`user_id`, `url`,
    `token`, `query`, `prompt`...), or a call from a path operation or dependency of the same
    module that passes it a value the client chose (a path, query or body parameter, a
    header).

    Silent on functions without parameters (the documented `@lru_cache def get_settings()`
    pattern), on bounded caches (`@lru_cache` and `@lru_cache()` keep 128 entries), and on
    parameters from a small domain (types, functions, enums, `bool`, `Literal`, model or
    setting names).

    ## Why is this bad?
    An unbounded cache keeps every distinct argument and its result for the life of the
    process. Keyed by request data it grows with traffic: a slow memory leak, and a cheap
    denial of service for a client that sends new values.

    ## Example
    ```python
    @cache
    def fetch_profile(user_id: int) -> dict:
        return load_profile(user_id)
    ```

    ## Use instead
    ```python
    @lru_cache(maxsize=1024)
    def fetch_profile(user_id: int) -> dict:
        return load_profile(user_id)
    ```
    or a `cachetools.TTLCache` when entries must also expire.

    ## Fix safety
    The fix (`@lru_cache(maxsize=128)`) is unsafe: evicted entries are recomputed, which
    changes behaviour when the function has side effects or is expensive.
    """

    code = "FPF502"
    name = "unbounded-cache"
    summary = "`@cache`/`@lru_cache(maxsize=None)` on a function called with request data"
    fix = "unsafe"


class PerRequestCacheKey(Rule):
    """
    ## What it does
    Flags `@functools.cache` and `@functools.lru_cache` (bounded or not) on a function with a
    parameter that holds a per-request object: annotated `Request`, `WebSocket`, `UploadFile`,
    `BackgroundTasks`, a SQLAlchemy/SQLModel `Session` or `AsyncSession`, or, without an
    annotation, named `request`, `db`, `session`, `websocket`.

    When this rule applies, FPF502 is not reported on the same decorator.

    ## Why is this bad?
    Every request has its own object, so the cache never hits; instead it keeps a strong
    reference to each request, session or upload (and everything they reference: bodies,
    connections, ORM identity maps) until the entry is evicted, or forever with
    `maxsize=None`. With a database session it also hands a closed session's objects to later
    requests.

    ## Example
    ```python
    @lru_cache
    def current_tenant(request: Request) -> str:
        return request.headers["x-tenant"]
    ```

    ## Use instead
    ```python
    @lru_cache
    def tenant_config(tenant: str) -> TenantConfig:
        return load_tenant_config(tenant)

    def current_tenant(request: Request) -> TenantConfig:
        return tenant_config(request.headers["x-tenant"])
    ```

    ## Fix safety
    There is no automatic fix: the cache key must be rebuilt from the request's values.
    """

    code = "FPF503"
    name = "per-request-cache-key"
    summary = "`functools` cache keyed by a per-request object (request, session, upload)"
    fix = None


class DiscardedTask(Rule):
    """
    ## What it does
    Flags `asyncio.create_task(...)`, `asyncio.ensure_future(...)` and
    `loop.create_task(...)` (on a loop from `asyncio.get_event_loop()`/`get_running_loop()`)
    whose result is thrown away: the call is a statement of its own, or only has
    `.add_done_callback(...)` called on it.

    Silent when the task is assigned, stored, awaited or returned, on `TaskGroup.create_task`
    (the task group holds its tasks), on `BackgroundTasks.add_task`, and on
    `ensure_future(task)` of a task or future that already exists.

    With the project model (`fastapi-perf check`, flake8, pre-commit), also silent when the
    task runs a project coroutine that never suspends: it awaits nothing, or only project
    coroutines that await nothing, across modules (a method called on a receiver of unknown
    type counts as every reached coroutine of that name, but not a name common library clients
    use, such as `get`, `post` or `send`: it may be theirs). Such a task runs to its end in its
    first step, while the loop still holds it: nothing of it can be lost. Anything else it
    awaits (a library's coroutine, an awaited value, `async with`/`async for`, a sync function
    returning an awaitable, a decorator such as `@retry` that may wait) can suspend, and the
    task is reported.

    ## Why is this bad?
    The event loop keeps only a weak reference to its tasks. A task nobody references can be
    garbage-collected before it finishes: the work silently stops half-way, with at best a
    "Task was destroyed but it is pending!" log line. Its exception is never retrieved either.
    The asyncio documentation says to keep a reference to every task.

    ## Example
    ```python
    @app.post("/orders")
    async def create_order(order: Order):
        asyncio.create_task(send_confirmation(order))
        return {"ok": True}
    ```

    ## Use instead
    ```python
    background_tasks = set()

    @app.post("/orders")
    async def create_order(order: Order):
        task = asyncio.create_task(send_confirmation(order))
        background_tasks.add(task)
        task.add_done_callback(background_tasks.discard)
        return {"ok": True}
    ```
    or FastAPI's `BackgroundTasks`, or a `TaskGroup` in the lifespan.

    ## Fix safety
    The fix (keep the task in a module-level set until it is done) is safe: the task runs
    exactly as before, it just cannot be collected early.
    """

    code = "FPF504"
    name = "discarded-task"
    summary = "`asyncio.create_task()` result discarded: the task can be garbage-collected mid-flight"
    fix = "safe"


class CacheOnCoroutine(Rule):
    """
    ## What it does
    Flags `@functools.cache` and `@functools.lru_cache` on an `async def`.

    When this rule applies, FPF502 and FPF503 are not reported on the same decorator.

    ## Why is this bad?
    Calling an `async def` returns a coroutine object; the cache stores that object, not the
    result. The first caller awaits it; the next call with the same arguments gets the same,
    already awaited coroutine, and awaiting it raises
    `RuntimeError: cannot reuse already awaited coroutine`. Nothing is ever cached.

    ## Example
    ```python
    @lru_cache
    async def get_exchange_rate(currency: str) -> float:
        ...
    ```

    ## Use instead
    ```python
    @alru_cache(maxsize=32)  # from async_lru
    async def get_exchange_rate(currency: str) -> float:
        ...
    ```
    or cache the awaited value yourself (`aiocache`, a dict with an `asyncio.Lock`).

    ## Fix safety
    There is no automatic fix: it needs another library or a hand-written cache.
    """

    code = "FPF505"
    name = "cache-on-async-def"
    summary = "`functools` cache on an `async def` caches a coroutine that can be awaited once"
    fix = None


# -- shared helpers ------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(identifier: str) -> set[str]:
    """``sessionId``/``session_id`` -> {"session", "id", "session_id"}; an identifier that is
    itself a bounded term (``content_type``) stays whole, so its parts do not count."""
    lowered = identifier.lower().strip("_")
    if lowered in tables.BOUNDED_WORDS or lowered in tables.PER_WORKER_WORDS:
        return {lowered}
    words = {w for w in _CAMEL.sub("_", identifier).lower().split("_") if w}
    words.add(lowered)
    return words


def _where(ctx: ModuleContext, fn: FunctionInfo | None) -> str:
    if fn is None:
        return "module-level code of `this module`"
    if ctx.fastapi.role(fn) is not None:
        return ctx.fastapi.describe(fn)
    return f"{'coroutine' if fn.is_async else 'function'} `{fn.qualname}`"


def _request_functions(ctx: ModuleContext) -> dict[int, FunctionInfo]:
    """Functions that run per request: request roles and the local functions they reach."""
    model = ctx.fastapi
    resolver = ctx.resolver
    todo = [fn for fn in ctx.module.all_functions if model.role(fn) in REQUEST_ROLES]
    seen: dict[int, FunctionInfo] = {}
    while todo:
        fn = todo.pop()
        if id(fn) in seen:
            continue
        seen[id(fn)] = fn
        for call in fn.calls:
            callee = resolver.callee(call, fn)
            if callee is not None and callee.kind == "helper" and callee.helper is not None:
                todo.append(callee.helper)
            # callbacks run per request too: add_task(fn), run_in_threadpool(fn), ...
            for arg in (*call.args, *(kw.value for kw in call.keywords)):
                if isinstance(arg, (ast.Name, ast.Attribute)):
                    ref = resolver.function_ref(arg, fn)
                    if ref is not None:
                        todo.append(ref)
    return seen


def _own_nodes(body: list[ast.stmt], into_classes: bool = False) -> Iterator[tuple[ast.AST, ast.AST | None]]:
    """(node, parent) for the code of one scope: nested defs (and classes) are not entered."""
    stack: list[tuple[ast.AST, ast.AST | None]] = [(stmt, None) for stmt in reversed(body)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        tp = type(node)
        if tp is ast.FunctionDef or tp is ast.AsyncFunctionDef:
            continue
        if tp is ast.ClassDef:
            if into_classes:
                stack.extend((stmt, node) for stmt in reversed(node.body))
            continue
        stack.extend((child, node) for child in reversed(child_nodes(node)))


def _mentions(body: list[ast.stmt], names: frozenset[str], into_classes: bool = False) -> bool:
    """A ``Name`` of ``names`` is among the nodes ``_own_nodes`` gives (a cheaper walk)."""
    stack: list[ast.AST] = list(body)
    Name, FunctionDef, AsyncFunctionDef, ClassDef = ast.Name, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef
    while stack:
        node = stack.pop()
        tp = type(node)
        if tp is Name:
            if node.id in names:  # type: ignore[attr-defined]
                return True
        elif tp is ClassDef:
            if into_classes:
                stack.extend(node.body)  # type: ignore[attr-defined]
        elif tp is not FunctionDef and tp is not AsyncFunctionDef:
            stack.extend(child_nodes(node))
    return False


def _unwrap_annotation(annotation: ast.expr, resolver: Resolver, fn: FunctionInfo | None, depth: int = 0) -> list[ast.expr]:
    """The type expressions an annotation names: ``Annotated[X, ...]`` -> X, unions -> each."""
    if depth > 6:
        return []
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            parsed = ast.parse(annotation.value.strip(), mode="eval").body
        except (SyntaxError, ValueError):
            return []
        return _unwrap_annotation(parsed, resolver, fn, depth + 1)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [
            *_unwrap_annotation(annotation.left, resolver, fn, depth + 1),
            *_unwrap_annotation(annotation.right, resolver, fn, depth + 1),
        ]
    if isinstance(annotation, ast.Subscript):
        base = resolver.qualname(annotation.value, fn) or ""
        inner = annotation.slice
        elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        last = base.rpartition(".")[2]
        if last == "Annotated" and elts:
            return _unwrap_annotation(elts[0], resolver, fn, depth + 1)
        if last in ("Optional", "Union"):
            return [t for elt in elts for t in _unwrap_annotation(elt, resolver, fn, depth + 1)]
        return [annotation]
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return []
    return [annotation]


def _is_enum_class(ctx: ModuleContext, name: str) -> bool:
    cls = ctx.module.classes.get(name)
    if cls is None:
        return False
    return any(ctx.resolver.qualname(base) in tables.ENUM_BASES for base in cls.node.bases)


def _bounded_annotation(ctx: ModuleContext, annotation: ast.expr | None, fn: FunctionInfo | None) -> bool:
    """``bool``, ``Literal[...]``, ``type[X]``, ``Callable``, an enum of this module."""
    if annotation is None:
        return False
    types = _unwrap_annotation(annotation, ctx.resolver, fn)
    if not types:
        return False
    for tp in types:
        target = tp.value if isinstance(tp, ast.Subscript) else tp
        q = ctx.resolver.qualname(target, fn)
        if q is not None and (q in tables.BOUNDED_ANNOTATIONS or q.rpartition(".")[2] in ("Type", "Literal", "Callable")):
            continue
        if isinstance(target, ast.Name) and _is_enum_class(ctx, target.id):
            continue
        return False
    return True


# -- FPF502 / FPF503 / FPF505: functools caches ------------------------------------------------


@dataclass(frozen=True)
class _CacheDecorator:
    node: ast.expr
    label: str  # "@cache", "@lru_cache(maxsize=None)"
    unbounded: bool


def _cache_decorator(ctx: ModuleContext, fn: FunctionInfo, decorator: ast.expr) -> _CacheDecorator | None:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    kind = tables.CACHE_DECORATORS.get(ctx.resolver.qualname(target, fn.parent) or "")
    if kind is None:
        return None
    label = f"`@{ast.unparse(decorator)}`"
    if kind == "cache":
        return _CacheDecorator(decorator, label, True)
    if not isinstance(decorator, ast.Call):
        return _CacheDecorator(decorator, label, False)  # maxsize=128
    maxsize = decorator.args[0] if decorator.args else next(
        (kw.value for kw in decorator.keywords if kw.arg == "maxsize"), None
    )
    unbounded = isinstance(maxsize, ast.Constant) and maxsize.value is None
    return _CacheDecorator(decorator, label, unbounded)


def _parameters(fn: FunctionInfo) -> list[ast.arg]:
    """The parameters a cache keys on: ``self``/``cls`` of methods excluded."""
    args = fn.node.args
    params = [*args.posonlyargs, *args.args]
    if fn.cls is not None and params and not is_static(fn):
        params = params[1:]
    params += args.kwonlyargs
    if args.vararg:
        params.append(args.vararg)
    if args.kwarg:
        params.append(args.kwarg)
    return params


_NOT_PER_REQUEST_PREFIXES = ("requests", "aiohttp", "httpx", "boto3", "botocore", "urllib3")


def _per_request_param(ctx: ModuleContext, fn: FunctionInfo, arg: ast.arg) -> bool:
    resolver = ctx.resolver
    if arg.annotation is None:
        tp = resolver.local_type(fn, arg.arg)
        if isinstance(tp, str) and tp in tables.PER_REQUEST_TYPES:
            return True
        return arg.arg in tables.PER_REQUEST_NAMES
    for tp in _unwrap_annotation(arg.annotation, resolver, fn.parent):
        target = tp.value if isinstance(tp, ast.Subscript) else tp
        q = resolver.qualname(target, fn.parent)
        if q is None and isinstance(target, ast.Name):
            q = target.id
        if q is None:
            continue
        if q.startswith(_NOT_PER_REQUEST_PREFIXES):
            continue
        last = q.rpartition(".")[2]
        if q in tables.PER_REQUEST_TYPES or last in tables.PER_REQUEST_TYPE_NAMES:
            return True
        if last == "Session" and arg.arg in tables.PER_REQUEST_NAMES:
            return True
    return False


def _request_valued_name(ctx: ModuleContext, arg: ast.arg, fn: FunctionInfo) -> bool:
    """A parameter named after request data (``user_id``, ``url``, ``prompt``...).  Unlike keys
    in FPF501, ``key``, ``path`` or ``name`` parameters do not count: ``get_setting(key)`` and
    ``load_template(path)`` are lookups in a fixed domain."""
    if _bounded_annotation(ctx, arg.annotation, fn.parent):
        return False
    words = _words(arg.arg)
    if words & tables.PER_WORKER_WORDS:
        return False
    if words & tables.REQUEST_WORDS:
        return True
    if words & tables.BOUNDED_WORDS:
        return False
    return bool(words & tables.ID_WORDS)


def _client_parameters(ctx: ModuleContext, fn: FunctionInfo) -> dict[str, ast.arg]:
    """Parameters of a path operation or dependency that FastAPI fills from the client."""
    resolver = ctx.resolver
    out: dict[str, ast.arg] = {}
    args = fn.node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    if fn.cls is not None and pairs:
        pairs = pairs[1:]
    for arg, default in pairs:
        if isinstance(default, ast.Call) and resolver.qualname(default.func, fn.parent) in DEPENDS:
            continue
        annotation = arg.annotation
        if annotation is not None and _has_depends(resolver, annotation, fn):
            continue
        if parameter_kind(resolver, fn, arg) is not None:
            continue
        if _bounded_annotation(ctx, annotation, fn.parent):
            continue
        out[arg.arg] = arg
    return out


def _has_depends(resolver: Resolver, annotation: ast.expr, fn: FunctionInfo) -> bool:
    """``Annotated[X, Depends(...)]``, directly or through a module-level alias."""
    seen = 0
    while isinstance(annotation, ast.Name) and seen < 4:
        values = resolver.module.assigns.get(annotation.id)
        if not values or len(values) != 1 or annotation.id in resolver.module.imports:
            return False
        annotation = values[0]
        seen += 1
    for node in ast.walk(annotation):
        if isinstance(node, ast.Call) and resolver.qualname(node.func, fn.parent) in DEPENDS:
            return True
    return False


def _request_params(ctx: ModuleContext, fn: FunctionInfo) -> set[str]:
    args = fn.node.args
    return {
        a.arg
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
        if parameter_kind(ctx.resolver, fn, a) in ("request", "websocket")
        or (a.annotation is None and a.arg in ("request", "websocket"))
    }


def _client_derived(ctx: ModuleContext, expr: ast.expr, fn: FunctionInfo, client: dict[str, ast.arg], requests: set[str]) -> str | None:
    """The client-chosen value ``expr`` is computed from (a parameter name, ``request.headers``)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in client:
            return node.id
        if (
            isinstance(node, ast.Attribute)
            and node.attr in CLIENT_ATTRIBUTES
            and isinstance(node.value, ast.Name)
            and node.value.id in requests
        ):
            return f"{node.value.id}.{node.attr}"
    return None


def _client_call_sites(ctx: ModuleContext) -> dict[int, tuple[ast.Call, FunctionInfo, str]]:
    """id(cached def node) -> a call from a path operation/dependency passing it client data."""
    out: dict[int, tuple[ast.Call, FunctionInfo, str]] = {}
    model = ctx.fastapi
    for fn in ctx.module.all_functions:
        if model.role(fn) not in CLIENT_ROLES:
            continue
        client = _client_parameters(ctx, fn)
        requests = _request_params(ctx, fn)
        if not client and not requests:
            continue
        for call in fn.calls:
            if not call.args and not call.keywords:
                continue
            ref = ctx.resolver.function_ref(call.func, fn)
            if ref is None or id(ref.node) in out:
                continue
            params = _parameters(ref)
            by_name = {p.arg: p for p in params}
            pairs: list[tuple[ast.expr, ast.arg | None]] = [
                (a, params[i] if i < len(params) else None) for i, a in enumerate(call.args)
            ]
            pairs += [(kw.value, by_name.get(kw.arg or "")) for kw in call.keywords]
            for arg, param in pairs:
                source = _client_derived(ctx, arg, fn, client, requests)
                if source is None:
                    continue
                # a model or provider name chosen by the client is still a small domain,
                # as in FPF501; so is a parameter declared bool/enum/Literal
                if _KeyDomain(ctx, fn).of(arg) in ("bounded", "constant"):
                    continue
                if param is not None and (
                    _bounded_annotation(ctx, param.annotation, ref.parent)
                    or _domain(_words(param.arg)) == "bounded"
                ):
                    continue
                out[id(ref.node)] = (call, fn, source)
                break
    return out


def _check_caches(ctx: ModuleContext) -> Iterator[Diagnostic]:
    call_sites: dict[int, tuple[ast.Call, FunctionInfo, str]] | None = None
    for fn in ctx.module.all_functions:
        if not fn.node.decorator_list:
            continue
        for decorator in fn.node.decorator_list:
            found = _cache_decorator(ctx, fn, decorator)
            if found is None:
                continue
            where = f"`{fn.qualname}`"
            if fn.is_async:
                yield CacheOnCoroutine.diagnostic(
                    decorator,
                    f"{found.label} on async def {where} caches the coroutine object, and awaiting "
                    f"it a second time raises RuntimeError; use async_lru.alru_cache or cache the "
                    f"awaited result",
                )
                continue
            params = _parameters(fn)
            per_request = next((p for p in params if _per_request_param(ctx, fn, p)), None)
            if per_request is not None:
                yield PerRequestCacheKey.diagnostic(
                    decorator,
                    f"{found.label} on {where} is keyed by the per-request `{per_request.arg}`: it "
                    f"never hits and keeps every request's object alive; cache on plain values "
                    f"taken from it instead",
                )
                continue
            if not found.unbounded or not params:
                continue
            named = next((p for p in params if _request_valued_name(ctx, p, fn)), None)
            if named is not None:
                yield UnboundedCache.diagnostic(
                    decorator,
                    f"{found.label} on {where} keeps one entry per distinct `{named.arg}` forever; "
                    f"bound it with @lru_cache(maxsize=...) or use cachetools.TTLCache",
                )
                continue
            if call_sites is None:
                call_sites = _client_call_sites(ctx)
            site = call_sites.get(id(fn.node))
            if site is not None:
                call, caller, source = site
                yield UnboundedCache.diagnostic(
                    decorator,
                    f"{found.label} on {where} is called with client data (`{source}`) by "
                    f"{ctx.fastapi.describe(caller)} at line {call.lineno} and keeps every distinct "
                    f"value forever; bound it with @lru_cache(maxsize=...) or use cachetools.TTLCache",
                )


# -- FPF504: discarded tasks ---------------------------------------------------------------------

_SPAWN_NAMES = frozenset(["create_task", "ensure_future"])


def _spawn_name(ctx: ModuleContext, call: ast.Call, fn: FunctionInfo | None) -> str | None:
    func = call.func
    last = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if last not in _SPAWN_NAMES:
        return None
    callee = ctx.resolver.callee(call, fn)  # type: ignore[arg-type]
    if callee is None:
        return None
    if callee.kind == "name" and callee.name in tables.TASK_SPAWNERS:
        return callee.name.replace(".tasks.", ".")
    if (
        callee.kind == "method"
        and isinstance(callee.type, str)
        and callee.type in tables.LOOP_TYPES
        and callee.name in tables.LOOP_SPAWN_METHODS
    ):
        return f"loop.{callee.name}"
    return None


def _check_tasks(ctx: ModuleContext) -> Iterator[Diagnostic]:
    module = ctx.module
    scopes: list[tuple[FunctionInfo | None, list[ast.Call]]] = [(fn, fn.calls) for fn in module.all_functions]
    scopes.append((None, module.module_calls))
    for fn, calls in scopes:
        candidates = {
            id(c): c
            for c in calls
            if (isinstance(c.func, ast.Attribute) and c.func.attr in _SPAWN_NAMES)
            or (isinstance(c.func, ast.Name) and c.func.id in _SPAWN_NAMES)
        }
        if not candidates:
            continue
        body = fn.node.body if fn is not None else module.tree.body
        for node, _parent in _own_nodes(body, into_classes=fn is None):
            if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
                continue
            value = node.value
            # asyncio.create_task(...).add_done_callback(cb): the callback holds no reference
            if (
                isinstance(value.func, ast.Attribute)
                and value.func.attr == "add_done_callback"
                and isinstance(value.func.value, ast.Call)
            ):
                value = value.func.value
            if id(value) in candidates:
                call = candidates[id(value)]
                name = _spawn_name(ctx, call, fn)
                if name is None or _wraps_existing_future(ctx, call, fn):
                    continue
                yield DiscardedTask.diagnostic(
                    call,
                    f"`{name}()` result is discarded in {_where(ctx, fn)}, so the task can be "
                    f"garbage-collected before it finishes; keep a reference (add it to a "
                    f"module-level set and task.add_done_callback(tasks.discard))",
                )


def _wraps_existing_future(ctx: ModuleContext, call: ast.Call, fn: FunctionInfo | None) -> bool:
    """``asyncio.ensure_future(task)`` on a task or future already held elsewhere returns it
    unchanged: nothing new is created, nothing is lost."""
    if not call.args or isinstance(call.args[0], ast.Call):
        return False
    arg = call.args[0]
    if isinstance(arg, ast.Attribute):
        return True  # self._task, state.future: stored on an object
    if isinstance(arg, ast.Name):
        if _words(arg.id) & _FUTURE_WORDS:
            return True  # task, fut, pending_future: named as what it is
        values = fn.assigns.get(arg.id, []) if fn is not None else []
        return any(
            isinstance(node, (ast.Name, ast.Attribute))
            and (node.id if isinstance(node, ast.Name) else node.attr) in _FUTURE_MAKERS
            for value in values
            for node in ast.walk(value)
        )
    return False


_FUTURE_WORDS = frozenset(["task", "tasks", "fut", "future", "futures"])
_FUTURE_MAKERS = frozenset(["create_task", "ensure_future", "create_future", "Future", "Task", "gather", "shield", "wrap_future"])


# -- FPF501: module-level containers that only grow ---------------------------------------------


def _container_kind(ctx: ModuleContext, value: ast.expr) -> str | None:
    tp = type(value)
    if tp is ast.Dict or tp is ast.DictComp:
        return "dict"
    if tp is ast.List or tp is ast.ListComp:
        return "list"
    if tp is ast.Set or tp is ast.SetComp:
        return "set"
    if tp is ast.Call:
        q = ctx.resolver.qualname(value.func)  # type: ignore[attr-defined]
        kind = tables.CONTAINER_FACTORIES.get(q or "")
        if kind == "deque":
            if len(value.args) >= 2 or any(  # type: ignore[attr-defined]
                kw.arg == "maxlen" and not (isinstance(kw.value, ast.Constant) and kw.value.value is None)
                for kw in value.keywords  # type: ignore[attr-defined]
            ):
                return None
            return "list"
        return kind
    return None


def _containers(ctx: ModuleContext) -> dict[str, str]:
    module = ctx.module
    out: dict[str, str] = {}
    for name, values in module.assigns.items():
        if not values or name in module.imports or name in module.functions or name in module.classes:
            continue
        kinds = {_container_kind(ctx, v) for v in values}
        if len(kinds) == 1 and None not in kinds:
            out[name] = kinds.pop()  # type: ignore[assignment]
    return out


@dataclass
class _Insertion:
    container: str
    node: ast.AST  # where to report
    fn: FunctionInfo
    key: ast.expr | None  # None: grows on every call (append)
    label: str


def _globals_of(nodes: list[tuple[ast.AST, ast.AST | None]]) -> set[str]:
    names: set[str] = set()
    for node, _ in nodes:
        if isinstance(node, ast.Global):
            names.update(node.names)
    return names


def _is_global(name: str, fn: FunctionInfo | None, declared: dict[int, set[str]]) -> bool:
    while fn is not None:
        if id(fn) not in declared:  # an enclosing function not scanned (yet)
            declared[id(fn)] = _globals_of(list(_own_nodes(fn.node.body)))
        if name in declared[id(fn)]:
            return True
        if name in fn.bound:
            return False
        fn = fn.parent
    return True


def _domain(words: set[str], unique: bool = False) -> str:
    """"unbounded", "bounded" or "unknown" for a value described by these words."""
    if words & tables.PER_WORKER_WORDS:
        return "bounded"
    if unique:
        return "unbounded"
    if words & tables.REQUEST_WORDS:
        return "unbounded"
    if words & tables.BOUNDED_WORDS:
        return "bounded"
    if words & tables.IDENTITY_WORDS:
        return "unbounded"
    return "unknown"


def _combine(domains: list[str]) -> str:
    """A key made of several parts: unbounded if one part is; constants count for nothing."""
    if "unbounded" in domains:
        return "unbounded"
    if "bounded" in domains:
        return "bounded"
    if domains and all(d == "constant" for d in domains):
        return "constant"
    return "unknown"


_CONST_WORD = re.compile(r"[A-Za-z][a-z0-9]*|[A-Z]+")


def _leaf_words(expr: ast.expr) -> set[str] | None:
    """The words naming what an attribute or subscript holds: ``request.client.host`` -> host,
    ``request.headers["x-user-id"]`` -> x, user, id."""
    if isinstance(expr, ast.Attribute):
        return _words(expr.attr)
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return {w.lower() for w in _CONST_WORD.findall(key.value)} | {key.value.lower()}
        return None
    if isinstance(expr, ast.Name):
        return _words(expr.id)
    return None


#: Calls that keep their argument's meaning: ``str(user_id)`` is still a user id.
_TRANSPARENT = frozenset(["str", "int", "repr", "hash", "tuple", "frozenset", "bytes", "float", "abs", "round"])


class _KeyDomain:
    """Judges the domain of a key: constant, bounded (a small fixed set), unbounded (request
    data, fresh unique values) or unknown.  Unknown keys are not reported."""

    def __init__(self, ctx: ModuleContext, fn: FunctionInfo) -> None:
        self.ctx = ctx
        self.fn = fn
        self.seen: set[str] = set()

    def of(self, expr: ast.expr, depth: int = 0) -> str:
        if depth > 8:
            return "unknown"
        tp = type(expr)
        if tp is ast.Constant:
            return "constant"
        if tp is ast.Tuple or tp is ast.List:
            return _combine([self.of(e, depth + 1) for e in expr.elts])  # type: ignore[attr-defined]
        if tp is ast.JoinedStr:
            return _combine([
                self.of(v.value, depth + 1) if isinstance(v, ast.FormattedValue) else "constant"
                for v in expr.values  # type: ignore[attr-defined]
            ])
        if tp is ast.BinOp:
            return _combine([self.of(expr.left, depth + 1), self.of(expr.right, depth + 1)])  # type: ignore[attr-defined]
        if tp is ast.IfExp:  # request.client.host if request.client else "unknown"
            return _combine([self.of(expr.body, depth + 1), self.of(expr.orelse, depth + 1)])  # type: ignore[attr-defined]
        if tp is ast.BoolOp:  # body.user_id or "anonymous"
            return _combine([self.of(v, depth + 1) for v in expr.values])  # type: ignore[attr-defined]
        if tp is ast.NamedExpr:
            return self.of(expr.value, depth + 1)  # type: ignore[attr-defined]
        if tp is ast.Name:
            return self._name(expr, depth)  # type: ignore[arg-type]
        if tp is ast.Attribute or tp is ast.Subscript:
            return self._member(expr, depth)
        if tp is ast.Call:
            return self._call(expr, depth)  # type: ignore[arg-type]
        return "unknown"

    def _name(self, expr: ast.Name, depth: int) -> str:
        fn = self.fn
        name = expr.id
        if not self.ctx.resolver.is_bound_locally(name, fn):
            return "bounded"  # a module-level constant or import
        param = next(
            (a for a in (*fn.node.args.posonlyargs, *fn.node.args.args, *fn.node.args.kwonlyargs) if a.arg == name),
            None,
        )
        if param is not None and _bounded_annotation(self.ctx, param.annotation, fn.parent):
            return "bounded"
        words = _words(name)
        own = _domain(words)
        if words & _DECISIVE_WORDS:
            return own  # locale_code = path.stem is a locale; session_id = token_hex() a session
        # "key", "digest", "x": what it was computed from says more
        values = fn.assigns.get(name) if param is None else None
        if values and name not in self.seen:
            self.seen.add(name)
            found = _combine([self.of(v, depth + 1) for v in values])
            if found != "unknown":
                return "bounded" if found == "constant" else found
        return own

    def _member(self, expr: ast.expr, depth: int) -> str:
        root = expr
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if (
            isinstance(root, ast.Name)
            and not self.ctx.resolver.is_bound_locally(root.id, self.fn)
            and not _words(root.id) & (tables.REQUEST_WORDS | _PROXY_WORDS)
        ):
            return "bounded"  # an attribute of a module-level object: settings.DEFAULT_MODEL, Kind.A
        leaf = _leaf_words(expr)
        if leaf is None:  # items[i]: what the container holds
            return self.of(expr.value, depth + 1)  # type: ignore[attr-defined]
        qualifier = (_leaf_words(expr.value) or set()) - _CONTAINER_WORDS  # type: ignore[attr-defined]
        if qualifier & tables.BOUNDED_WORDS and not qualifier & tables.REQUEST_WORDS:
            return "bounded"  # config.connection_url, model.id
        found = _domain(leaf)
        if found == "unknown" or found == "unbounded" and not leaf & tables.REQUEST_WORDS:
            # an identifier (id, key, path, host) or an unknown leaf: what it belongs to says more
            found = _domain(leaf | qualifier)
        return found

    def _call(self, expr: ast.Call, depth: int) -> str:
        func = expr.func
        q = self.ctx.resolver.qualname(func, self.fn)
        if q in tables.UNIQUE_CALLS and not self._per_worker_args(expr):
            return "unbounded"  # uuid4(), time.time(), id(obj)
        method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        words = _words(method)
        if words & tables.PER_WORKER_WORDS or self._per_worker_args(expr):
            return "bounded"  # threading.get_ident(), id(loop)
        parts = [self.of(a, depth + 1) for a in expr.args]
        if q is None and isinstance(func, ast.Attribute):
            parts.append(self.of(func.value, depth + 1))  # prompt.encode(), key.lower()
        if q in _TRANSPARENT or method in _TRANSPARENT_METHODS:
            return _combine(parts) if parts else "unknown"
        # a function's name tells what it returns only when it names request data
        # (get_user_id(...)) or a bounded kind (get_model_name(...)); "get_key" says nothing
        if words & tables.REQUEST_WORDS:
            return "unbounded"
        if words & tables.BOUNDED_WORDS:
            return _combine(["bounded", *parts])
        return _combine(parts)

    @staticmethod
    def _per_worker_args(expr: ast.Call) -> bool:
        return any(
            isinstance(a, (ast.Name, ast.Attribute, ast.Call))
            and _leaf_words(a.func if isinstance(a, ast.Call) else a) is not None
            and bool(_leaf_words(a.func if isinstance(a, ast.Call) else a) & tables.PER_WORKER_WORDS)  # type: ignore[operator]
            for a in expr.args
        )


#: Methods that keep their receiver's meaning: ``user_id.lower()``, ``sha256(text).hexdigest()``.
_TRANSPARENT_METHODS = frozenset(
    ["lower", "upper", "strip", "casefold", "encode", "decode", "hexdigest", "digest", "format", "join", "replace", "split"]
)


#: Words that settle what a variable holds, whatever it was computed from.
_DECISIVE_WORDS = tables.REQUEST_WORDS | tables.BOUNDED_WORDS | tables.PER_WORKER_WORDS
#: Module-level names of request-context proxies (``context.session.id``, ``g.user_id``).
_PROXY_WORDS = frozenset(["context", "ctx", "g", "current", "local", "locals"])

#: Words of objects that carry values rather than being one (``body.model``: a model name).
_CONTAINER_WORDS = frozenset(["body", "payload", "request", "req", "data", "form", "params", "state", "self", "scope", "input", "inputs"])


def _key_domain(ctx: ModuleContext, key: ast.expr, fn: FunctionInfo) -> str:
    found = _KeyDomain(ctx, fn).of(key)
    return "bounded" if found == "constant" else found


class _Uses:
    """What the module does with one module-level container."""

    def __init__(self) -> None:
        self.insertions: list[_Insertion] = []
        self.evicted = False


def _scan_containers(ctx: ModuleContext, containers: dict[str, str], uses: dict[str, _Uses],
                     functions: list[FunctionInfo], module_level: bool, declared: dict[int, set[str]]) -> None:
    """Record what ``functions`` (and the module-level code) do with the containers."""
    scopes: list[tuple[FunctionInfo | None, list[ast.stmt]]] = [(fn, fn.node.body) for fn in functions]
    if module_level:
        scopes.append((None, ctx.module.tree.body))
    names = frozenset(uses)
    spelt = [name.encode() for name in names]
    for fn, body in scopes:
        text = ctx.text_of(fn.node) if fn is not None else None
        if text is not None and text.isascii() and not any(name in text for name in spelt):
            continue  # most functions: the name is not even in their text
        if not _mentions(body, names, into_classes=fn is None):
            continue  # not worth the (node, parent) pairs
        nodes = list(_own_nodes(body, into_classes=fn is None))
        if fn is not None:
            declared[id(fn)] = _globals_of(nodes)
        parents = {id(node): parent for node, parent in nodes}
        for node, parent in nodes:
            if type(node) is not ast.Name or node.id not in uses:
                continue
            name = node.id
            if fn is not None and not _is_global(name, fn, declared):
                continue
            _classify(ctx, name, containers[name], node, parent, parents, fn, uses[name])


def _classify(ctx: ModuleContext, name: str, kind: str, node: ast.Name, parent: ast.AST | None,
              parents: dict[int, ast.AST | None], fn: FunctionInfo | None, use: _Uses) -> None:
    ctx_type = type(node.ctx)
    if ctx_type is ast.Store:
        if fn is None:
            return  # the definition (or a module-level redefinition)
        if isinstance(parent, ast.AugAssign):  # global x; x += [...] / x |= {...}
            key = None if kind == "list" else parent.value
            use.insertions.append(_Insertion(name, parent, fn, key, f"`{name} {_op(parent.op)}= ...`"))
            return
        use.evicted = True  # global x; x = {} resets it
        return
    if ctx_type is ast.Del:
        use.evicted = True
        return
    if isinstance(parent, ast.Subscript) and parent.value is node:
        sub_ctx = type(parent.ctx)
        if sub_ctx is ast.Del:
            use.evicted = True
        elif sub_ctx is ast.Store:
            if isinstance(parent.slice, ast.Slice):
                use.evicted = True  # x[:] = x[-100:] truncates
            elif fn is not None and kind != "list":
                use.insertions.append(_Insertion(name, parent, fn, parent.slice, f"`{name}[...] = ...`"))
        else:
            grand = parents.get(id(parent))
            if isinstance(grand, ast.Attribute) and grand.value is parent:
                before = len(use.insertions)
                _method_use(ctx, name, kind, grand, parents, fn, use, nested=parent)
                if (
                    kind == "defaultdict"
                    and fn is not None
                    and len(use.insertions) == before
                    and grand.attr not in tables.EVICT_METHODS
                ):
                    # reading a missing key of a defaultdict inserts it: queues[key].put(...)
                    use.insertions.append(_Insertion(name, parent, fn, parent.slice, f"`{name}[...]`"))
            elif isinstance(grand, ast.Subscript) and grand.value is parent:
                if isinstance(grand.ctx, ast.Del):
                    use.evicted = True
                elif isinstance(grand.ctx, ast.Store) and fn is not None:
                    key = ast.Tuple(elts=[parent.slice, grand.slice], ctx=ast.Load())
                    use.insertions.append(_Insertion(name, grand, fn, key, f"`{name}[...][...] = ...`"))
            elif kind == "defaultdict" and fn is not None:
                # reading a missing key of a defaultdict inserts it: counts[key] == 0
                use.insertions.append(_Insertion(name, parent, fn, parent.slice, f"`{name}[...]`"))
        return
    if isinstance(parent, ast.Attribute) and parent.value is node:
        _method_use(ctx, name, kind, parent, parents, fn, use, nested=None)
        return
    if isinstance(parent, ast.Call) and node is not parent.func:
        q = ctx.resolver.qualname(parent.func, fn) if isinstance(parent.func, (ast.Name, ast.Attribute)) else None
        if q == "len":
            if isinstance(parents.get(id(parent)), ast.Compare):
                use.evicted = True  # a bound check: if len(x) > N: ...
            return
        if q not in tables.READERS:
            use.evicted = True  # handed to other code, which may evict
        return
    if isinstance(parent, ast.keyword):
        use.evicted = True
        return
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.Return, ast.Yield, ast.withitem)):
        if getattr(parent, "value", None) is node or isinstance(parent, ast.withitem):
            use.evicted = True  # aliased or handed out: the alias may evict


def _op(op: ast.operator) -> str:
    return {ast.Add: "+", ast.BitOr: "|"}.get(type(op), "?")


def _method_use(ctx: ModuleContext, name: str, kind: str, attr: ast.Attribute, parents: dict[int, ast.AST | None],
                fn: FunctionInfo | None, use: _Uses, nested: ast.Subscript | None) -> None:
    method = attr.attr
    if method in tables.EVICT_METHODS:
        use.evicted = True
        return
    if method not in tables.INSERT_METHODS or fn is None:
        return
    call = parents.get(id(attr))
    if not isinstance(call, ast.Call) or call.func is not attr:
        return
    target = f"{name}[...]" if nested is not None else name
    label = f"`{target}.{method}()`"
    if method in tables.LIST_GROWTH:
        # x.append(v), and d[k].append(v): each key's list grows on every call
        use.insertions.append(_Insertion(name, call, fn, None, label))
        return
    parts: list[ast.expr] = []
    if nested is not None:
        parts.append(nested.slice)
    if method == "update":
        for arg in call.args:
            if isinstance(arg, ast.Dict):
                parts.extend(k for k in arg.keys if k is not None)
            else:
                parts.append(arg)
        # keyword arguments are constant keys
    elif call.args:
        parts.append(call.args[0])
    if not parts:
        return
    key = parts[0] if len(parts) == 1 else ast.Tuple(elts=parts, ctx=ast.Load())
    use.insertions.append(_Insertion(name, call, fn, key, label))


def _check_growth(ctx: ModuleContext) -> Iterator[Diagnostic]:
    model = ctx.fastapi
    if not model.uses_fastapi or not any(role in REQUEST_ROLES for role in model.roles.values()):
        return
    containers = _containers(ctx)
    if not containers:
        return
    request_fns = _request_functions(ctx)
    # First what request code does with the containers, then, only for those it grows with
    # unbounded keys, whether anything else in the module evicts from them.
    uses = {name: _Uses() for name in containers}
    declared: dict[int, set[str]] = {}
    _scan_containers(ctx, containers, uses, list(request_fns.values()), False, declared)
    found: dict[str, tuple[_Insertion, str]] = {}
    for name, use in uses.items():
        if use.evicted:
            continue
        candidates = sorted(
            use.insertions,
            # explicit insertions first, then defaultdict reads (d[k] inserts k too)
            key=lambda i: (i.label == f"`{name}[...]`", i.node.lineno, i.node.col_offset),  # type: ignore[attr-defined]
        )
        for insertion in candidates:
            if insertion.key is None:
                found[name] = (insertion, "on every call")
                break
            if _key_domain(ctx, insertion.key, insertion.fn) == "unbounded":
                found[name] = (insertion, f"with every distinct `{_short(insertion.key)}`")
                break
    if not found:
        return
    rest = [fn for fn in ctx.module.all_functions if id(fn) not in request_fns]
    others = {name: _Uses() for name in found}
    _scan_containers(ctx, {n: containers[n] for n in found}, others, rest, True, declared)
    for name, (insertion, why) in found.items():
        if others[name].evicted:
            continue
        yield UnboundedGlobalGrowth.diagnostic(
            insertion.node,
            f"{insertion.label} in {_where(ctx, insertion.fn)} grows module-level `{name}` {why} and "
            f"nothing in this module ever removes from it; bound it (cachetools.TTLCache/LRUCache, "
            f"deque(maxlen=...)) or evict entries",
        )


def _short(expr: ast.expr) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 40 else text[:37] + "..."


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    yield from _check_caches(ctx)
    yield from _check_tasks(ctx)
    yield from _check_growth(ctx)
