"""FPF4xx: dependencies and resources.

FastAPI closes nothing a dependency hands out: only the code after the ``yield`` of a ``yield``
dependency runs once the response is sent.  Sessions, connections and clients returned by plain
dependencies, built by ``Depends(SessionLocal)``, or cleaned up after a ``yield`` that an
exception skips, stay open until the garbage collector finds them: connection pools run dry under
load.  Clients, engines and pools built per request pay a new connection pool every time.

What counts as a resource, and the factories that make one, are data:
:mod:`flake8_fastapi_perf.data.resources`.  Only functions this module knows FastAPI calls (their
role in :mod:`flake8_fastapi_perf.analysis.fastapi`) are looked at: the same code in a helper is
left alone.  The one exception is FPF402 on a generator with the exact shape of a ``yield``
dependency that other modules import (``def get_db(): db = SessionLocal(); yield db;
db.close()``): its cleanup is skipped on errors however it is consumed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from ..analysis.context import ModuleContext
from ..analysis.names import DEPENDS, Resolver
from ..analysis.scope import NESTED_SCOPES, TRY_TYPES, FunctionInfo, child_nodes
from ..data import resources as tables
from ..diagnostics import Diagnostic
from . import Rule

#: The family can only find something in a file that contains one of these: it only looks at
#: modules that import ``fastapi`` or ``starlette`` (``FastAPIModel.uses_fastapi``), and such an
#: import spells the name out.
NEEDLES = (b"fastapi", b"starlette")

#: Roles whose functions run for every request (FPF404).
PER_REQUEST_ROLES = frozenset(["endpoint", "websocket", "dependency", "middleware", "exception_handler"])
#: Calls that take over what they are given: a callback or an object that someone closes later.
HANDOVER_CALLS = frozenset(
    [
        "add_task",
        "push_async_callback",
        "push",
        "callback",
        "BackgroundTask",
        "create_task",
        "ensure_future",
        "start_soon",
        "run_coroutine_threadsafe",
    ]
)


class ReturnedResource(Rule):
    """
    ## What it does
    Flags a dependency (a function passed to `Depends`/`Security`, in a signature, in
    `Annotated[...]` or in `dependencies=[...]`) that creates a resource which must be closed and
    returns it: a SQLAlchemy session (`SessionLocal()`, `Session(engine)`, `async_session()`), a
    connection (`engine.connect()`, `sqlite3.connect()`, `asyncpg.connect()`), an HTTP client
    (`httpx.Client()`, `httpx.AsyncClient()`, `aiohttp.ClientSession()`), a Redis client or a
    file (`open()`), directly or through a local variable or a helper of the module.

    Sessions a middleware owns (`return request.state.db`), objects that are also stored on an
    attribute (`request.state.db = db`), and cached factories (`@lru_cache`) are not flagged.
    A session factory imported from another module is recognised by its conventional name
    (`SessionLocal`, `AsyncSessionLocal`, `async_session`, `async_session_maker`, ...) when it
    is called without positional arguments.

    ## Why is this bad?
    FastAPI never closes what a dependency returns. Each request leaves a session or connection
    checked out until the garbage collector happens to collect it; under load the pool runs dry
    and requests hang waiting for a connection (`QueuePool limit ... reached`).

    ## Example
    ```python
    def get_db():
        db = SessionLocal()
        return db

    @app.get("/users")
    def users(db: Session = Depends(get_db)):
        ...
    ```

    ## Use instead
    ```python
    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()
    ```

    ## Fix safety
    The fix turns the `return x` into `try: yield x` / `finally: x.close()`. It is unsafe: the
    function becomes a generator, so code that calls it directly (not through `Depends`) breaks.
    """

    code = "FPF401"
    name = "dependency-returns-unclosed-resource"
    summary = "a dependency returns a session, connection, client or file that nothing closes"
    fix = "unsafe"


class CleanupNotInFinally(Rule):
    """
    ## What it does
    Flags the `yield` of a `yield` dependency whose cleanup after the `yield` (`db.close()`,
    `await client.aclose()`, `conn.release()`, `os.remove(tmp)`) is not protected by a `finally`
    around the `yield`. Cleanup that runs only on the normal path counts even when an `except`
    clause repeats it.

    A dependency is a function passed to `Depends`/`Security` in the same module. A generator
    that is not, but has the exact shape of a dependency other modules import (module level,
    undecorated, one `yield` of a session, connection, client or file it opened itself) is
    checked too: however it is consumed (`Depends` elsewhere, `contextmanager(get_db)`,
    `next(get_db())`), an exception skips what follows the `yield`. Lifespan handlers and
    `@contextmanager` helpers are not checked.

    ## Why is this bad?
    When the endpoint raises, FastAPI throws the exception into the dependency at the `yield`:
    statements after it do not run. Every failed request then leaks a session or connection, and
    a burst of errors empties the connection pool.

    ## Example
    ```python
    def get_db():
        db = SessionLocal()
        yield db
        db.close()
    ```

    ## Use instead
    ```python
    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()
    ```
    or `with Session(engine) as session: yield session`.

    ## Fix safety
    The fix wraps the `yield` and the cleanup after it in `try`/`finally`. It is safe: the
    normal path runs the same statements in the same order; on the error path the cleanup now
    runs too, which is the point.
    """

    code = "FPF402"
    name = "dependency-cleanup-not-in-finally"
    summary = "cleanup after `yield` in a dependency is skipped when the request fails"
    fix = "safe"


class DependsOnFactory(Rule):
    """
    ## What it does
    Flags `Depends(X)` / `Security(X)` where `X` is a session factory (`SessionLocal`, a
    `sessionmaker`/`async_sessionmaker` of the module or one imported under its conventional
    name) or a resource class or function (`Session`, `AsyncSession`, `httpx.AsyncClient`,
    `aiohttp.ClientSession`, `redis.Redis`, `sqlite3.connect`, ...).

    ## Why is this bad?
    FastAPI calls `X()` for every request and hands the result to the endpoint; nothing ever
    closes it. Sessions and connections stay checked out until garbage collection and the pool
    runs dry under load.

    ## Example
    ```python
    @app.get("/users")
    def users(db: Session = Depends(SessionLocal)):
        ...
    ```

    ## Use instead
    ```python
    def get_db():
        with SessionLocal() as db:
            yield db

    @app.get("/users")
    def users(db: Session = Depends(get_db)):
        ...
    ```

    ## Fix safety
    There is no automatic fix: the dependency that closes the resource has to be written.
    """

    code = "FPF403"
    name = "depends-on-resource-factory"
    summary = "`Depends(SessionLocal)` or another resource factory: nothing closes what it makes"
    fix = None


class ClientPerRequest(Rule):
    """
    ## What it does
    Flags an HTTP client, database engine, Redis client or connection pool built inside a path
    operation, dependency or middleware without being closed: `httpx.AsyncClient()`,
    `httpx.Client()`, `aiohttp.ClientSession()`, `create_engine()`, `create_async_engine()`,
    `redis.Redis(...)`, `redis.from_url()`, `asyncpg.create_pool()`, `MongoClient()`.

    Not flagged: a constructor used in `with`/`async with` (directly, through a variable,
    `closing()` or an exit stack), closed in a `finally` or on the error paths too (in an
    `except` clause, in a cleanup callback such as `BackgroundTask(client.aclose)`), returned or
    yielded (FPF401 and FPF402 look at those), stored on an attribute or a global
    (`app.state.client = ...`, a lazy singleton), handed to another call or a background task,
    a client over a shared pool (`httpx.AsyncClient(transport=shared)`,
    `redis.Redis(connection_pool=pool)`), or built in a lifespan/startup handler. A client
    closed only on the normal path is flagged: a timeout skips the close.

    ## Why is this bad?
    A client owns a connection pool. Built per request and never closed, each request leaks its
    sockets (and an engine its whole pool) until garbage collection: the process runs out of
    file descriptors or the database of connections. Even when closed, a new pool per request
    pays TCP, TLS and login handshakes every time; one shared client reuses connections.

    ## Example
    ```python
    @app.get("/weather")
    async def weather(city: str):
        client = httpx.AsyncClient()
        response = await client.get(f"https://api.example.com/{city}")
        return response.json()
    ```

    ## Use instead
    ```python
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with httpx.AsyncClient() as client:
            app.state.http = client
            yield

    @app.get("/weather")
    async def weather(city: str, request: Request):
        response = await request.app.state.http.get(f"https://api.example.com/{city}")
        return response.json()
    ```
    or at least `async with httpx.AsyncClient() as client:` in the endpoint.

    ## Fix safety
    There is no automatic fix: where the shared client lives is a design decision.
    """

    code = "FPF404"
    name = "client-per-request"
    summary = "HTTP client, engine or pool built per request and never closed"
    fix = None


# -- names and types -------------------------------------------------------------------------


def _qualname(resolver: Resolver, expr: ast.expr, fn: FunctionInfo | None) -> str | None:
    q = resolver.qualname(expr, fn)
    return tables.ALIASES.get(q, q) if q is not None else None


def _label(expr: ast.expr) -> str:
    try:
        text = ast.unparse(expr)
    except Exception:  # pragma: no cover - unparse handles every expression ast produces
        text = "..."
    return text if len(text) <= 40 else text[:37] + "..."


class _Types:
    """What a name holds, for the factories this family cares about (memoised per module)."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.resolver = ctx.resolver
        self.module = ctx.module
        self._busy: set[object] = set()

    def maker_type(self, expr: ast.expr, fn: FunctionInfo | None, depth: int = 0) -> str | None:
        """``sqlalchemy.orm.sessionmaker``, ``...async_sessionmaker``, an engine type, or None."""
        if depth > 6:
            return None
        if isinstance(expr, ast.Call):
            q = _qualname(self.resolver, expr.func, fn)
            if q in tables.MAKERS:
                return tables.MAKERS[q]
        elif isinstance(expr, ast.Name):
            name = expr.id
            owner = fn
            while owner is not None and name not in owner.bound:
                owner = owner.parent
            if owner is not None:
                values = owner.assigns.get(name, [])
                scope: FunctionInfo | None = owner
            elif name in self.module.imports:
                values, scope = [], None
            else:
                values, scope = self.module.assigns.get(name, []), None
            key = (id(owner), name)
            if len(values) == 1 and key not in self._busy:
                self._busy.add(key)
                try:
                    found = self.maker_type(values[0], scope, depth + 1)
                finally:
                    self._busy.discard(key)
                if found is not None:
                    return found
        elif (
            isinstance(expr, ast.Attribute)
            and isinstance(expr.value, ast.Name)
            and expr.value.id == "self"
            and fn is not None
            and fn.cls is not None
        ):
            values = fn.cls.attr_assigns.get(expr.attr, [])
            if len(values) == 1:
                found = self.maker_type(values[0], fn.cls.methods.get("__init__"), depth + 1)
                if found is not None:
                    return found
        tp = self.resolver.type_of(expr, fn)
        if isinstance(tp, str) and (tp in tables.SESSION_FACTORY_TYPES or tp.endswith("Engine")):
            return tp
        return None

    def conventional_factory(self, expr: ast.expr, fn: FunctionInfo | None,
                             names: frozenset[str] = tables.SESSION_FACTORY_NAMES) -> bool:
        """An imported name (or a module-level one of unknown type) named like a sessionmaker."""
        if isinstance(expr, ast.Name):
            name = expr.id
            if self.resolver.is_bound_locally(name, fn):
                return False
            imported = self.module.imports.get(name)
            if imported is not None:  # from .database import SessionLocal [as SL]
                return imported.rpartition(".")[2] in names
            if name not in names:
                return False
            if name in self.module.functions or name in self.module.classes:
                return False
            values = self.module.assigns.get(name, [])
            # a module-level name of unknown type, not a scoped_session registry
            return bool(values) and all(
                isinstance(v, ast.Call) and not (_qualname(self.resolver, v.func, None) or "").endswith("scoped_session")
                for v in values
            )
        if isinstance(expr, ast.Attribute):
            q = _qualname(self.resolver, expr, fn)  # database.SessionLocal after import database
            return q is not None and q.rpartition(".")[2] in names
        return False

    def session_factory(self, expr: ast.expr, fn: FunctionInfo | None) -> bool:
        if self.resolver.function_ref(expr, fn) is not None:
            return False
        tp = self.maker_type(expr, fn)
        if tp is not None:
            return tp in tables.SESSION_FACTORY_TYPES
        return self.conventional_factory(expr, fn)

    def opened(self, call: ast.Call, fn: FunctionInfo | None) -> str | None:
        """What ``call`` opens that must be closed ("SQLAlchemy session"), or None."""
        func = call.func
        if self.resolver.function_ref(func, fn) is not None:
            return None
        q = _qualname(self.resolver, func, fn)
        if q is not None and q in tables.CLOSEABLE_CALLS:
            if fn is not None and _shared_pool(call, fn):
                return None  # redis.Redis(connection_pool=pool): the pool outlives the client
            return tables.CLOSEABLE_CALLS[q]
        if isinstance(func, ast.Name):
            tp = self.maker_type(func, fn)
            if tp is not None:
                return tables.CLOSEABLE_METHODS.get(f"{tp}.__call__")
            if not call.args and self.conventional_factory(func, fn, tables.SESSION_FACTORY_CALL_NAMES):
                return "SQLAlchemy session"
        elif isinstance(func, ast.Attribute):
            tp = self.maker_type(func.value, fn)
            if tp is not None:
                return tables.CLOSEABLE_METHODS.get(f"{tp}.{func.attr}")
            if not call.args and self.conventional_factory(func, fn, tables.SESSION_FACTORY_CALL_NAMES):
                return "SQLAlchemy session"
        return None


# -- walking one function ----------------------------------------------------------------------


def _own_nodes(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes``, not entering nested functions, classes and lambdas."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        children = [c for c in child_nodes(node) if not isinstance(c, NESTED_SCOPES)]
        stack.extend(reversed(children))


def _is_cached(resolver: Resolver, fn: FunctionInfo) -> bool:
    for decorator in fn.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        q = resolver.qualname(target, fn.parent)
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if (q is not None and q in tables.CACHING_DECORATORS) or name in tables.CACHING_DECORATORS:
            return True
    return False


def _names_in(expr: ast.expr | None) -> set[str]:
    """Names an expression hands over as they are: ``x``, ``(x, y)``, ``[x]``, ``{"k": x}``."""
    found: set[str] = set()
    stack = [expr] if expr is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Dict):
            stack.extend(v for v in node.values if v is not None)
        elif isinstance(node, (ast.Await, ast.Starred)):
            stack.append(node.value)
    return found


def _close_call_receiver(node: ast.AST) -> str | None:
    """``x`` for ``x.close()``, ``x.aclose()``, ``x.dispose()``, ``x.remove()`` ..."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        attr = node.func.attr
        if attr in tables.CLOSE_METHODS and not (attr in tables.CLOSE_METHODS_WITHOUT_ARGS and node.args):
            value = node.func.value
            if isinstance(value, ast.Name):
                return value.id
            return ""  # self.client.aclose(): a cleanup, of no local name
    return None


def _closed_on_error_paths(fn: FunctionInfo) -> set[str]:
    closed: set[str] = set()
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in fn.node.body]
    while stack:
        node, guarded = stack.pop()
        if guarded:
            receiver = _close_call_receiver(node)
            if receiver:
                closed.add(receiver)
        if isinstance(node, TRY_TYPES):
            for child in node.body + node.orelse:
                stack.append((child, guarded))
            for child in [*node.handlers, *node.finalbody]:
                stack.append((child, True))
            continue
        nested = isinstance(node, NESTED_SCOPES)
        for child in child_nodes(node):
            stack.append((child, guarded or nested))
    return closed


class _FunctionFacts:
    """How the values of one function are handled: managed, closed, stored, returned."""

    def __init__(self, resolver: Resolver, fn: FunctionInfo) -> None:
        self.parents: dict[int, ast.AST] = {}
        self.managed_exprs: set[int] = set()  # context_expr of a with, argument of enter_context
        self.managed: set[str] = set()  # names used in a with, closing(), an exit stack
        self.with_bound: set[str] = set()  # names bound by `with ... as name`
        self.closed_in_finally: set[str] = set()
        self.stored: set[str] = set()  # stored on an attribute/subscript/global, handed over
        self.returned: set[str] = set()  # returned or yielded
        self.returns: list[ast.Return] = []
        #: names closed where an error does not skip it: in a finally, in an except clause (the
        #: error path closes too), in a nested function (a cleanup callback handed over)
        self.closed: set[str] = _closed_on_error_paths(fn)
        self.closed_somewhere: set[str] = {r for r in map(_close_call_receiver, ast.walk(fn.node)) if r}
        body = fn.node.body
        for stmt in body:
            self.parents[id(stmt)] = fn.node
        for node in _own_nodes(body):
            for child in child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    self._manage(item.context_expr)
                    if isinstance(item.optional_vars, ast.Name):
                        self.with_bound.add(item.optional_vars.id)
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if name in tables.ENTER_CONTEXT:
                    for arg in node.args:
                        self._manage(arg)
                elif name in HANDOVER_CALLS:
                    # add_task(db.close), add_task(close_all, db), create_task(relay(client))
                    for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                        self.stored.update(n.id for n in ast.walk(arg) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Attribute):
                # db.close referenced, not called: handed over as a callback
                if node.attr in tables.CLOSE_METHODS and isinstance(node.value, ast.Name):
                    parent = self.parents.get(id(node))
                    if not (isinstance(parent, ast.Call) and parent.func is node):
                        self.stored.add(node.value.id)
            elif isinstance(node, TRY_TYPES):
                for final in _own_nodes(node.finalbody):
                    receiver = _close_call_receiver(final)
                    if receiver:
                        self.closed_in_finally.add(receiver)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(not isinstance(t, ast.Name) for t in targets):
                    # request.state.db = db, or request.state.db = db = SessionLocal()
                    self.stored |= _names_in(node.value)
                    self.stored.update(t.id for t in targets if isinstance(t, ast.Name))
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.stored.update(node.names)
            elif isinstance(node, ast.Return):
                self.returns.append(node)
                self.returned |= _names_in(node.value)
            elif isinstance(node, (ast.Yield, ast.YieldFrom)):
                self.returned |= _names_in(node.value)

    def _manage(self, expr: ast.expr) -> None:
        self.managed_exprs.add(id(expr))
        if isinstance(expr, ast.Await):
            self.managed_exprs.add(id(expr.value))
            expr = expr.value
        if isinstance(expr, ast.Name):
            self.managed.add(expr.id)
        elif isinstance(expr, ast.Call):
            func = expr.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in tables.ENTER_CONTEXT:  # with closing(client):
                for arg in expr.args:
                    self._manage(arg)


# -- FPF401 ------------------------------------------------------------------------------------


def _returned_resource(
    types: _Types, fn: FunctionInfo, facts: _FunctionFacts, value: ast.expr, depth: int = 0
) -> tuple[str, str] | None:
    """(what, the call that made it) when ``value`` is a resource ``fn`` opened, else None."""
    if depth > 4:
        return None
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Call):
        what = types.opened(value, fn)
        if what is not None:
            return what, f"{_label(value.func)}()"
        helper = types.resolver.function_ref(value.func, fn)
        if (
            helper is not None
            and helper is not fn
            and not helper.is_generator
            and not _is_cached(types.resolver, helper)
        ):
            helper_facts = _FunctionFacts(types.resolver, helper)
            for ret in helper_facts.returns:
                if ret.value is not None and not _owned_elsewhere(helper_facts, ret.value):
                    found = _returned_resource(types, helper, helper_facts, ret.value, depth + 1)
                    if found is not None:
                        return found[0], f"{helper.qualname}() -> {found[1]}"
        return None
    if isinstance(value, ast.Name):
        name = value.id
        if name not in fn.bound or name in facts.with_bound or name in facts.managed:
            return None
        if name in facts.closed_in_finally or name in facts.stored:
            return None
        for assigned in fn.assigns.get(name, []):
            found = _returned_resource(types, fn, facts, assigned, depth + 1)
            if found is not None:
                return found
    return None


def _owned_elsewhere(facts: _FunctionFacts, value: ast.expr) -> bool:
    return isinstance(value, ast.Name) and (value.id in facts.stored or value.id in facts.managed)


def _check_returns(ctx: ModuleContext, types: _Types, fn: FunctionInfo) -> Iterator[Diagnostic]:
    if fn.is_generator or _is_cached(ctx.resolver, fn):
        return
    facts = _FunctionFacts(ctx.resolver, fn)
    for ret in facts.returns:
        if ret.value is None or _owned_elsewhere(facts, ret.value):
            continue
        found = _returned_resource(types, fn, facts, ret.value)
        if found is None:
            continue
        what, source = found
        yield ReturnedResource.diagnostic(
            ret,
            f"{ctx.fastapi.describe(fn)} returns the {what} from {source} and nothing "
            f"closes it; yield it instead and close it in a finally after the yield",
        )


# -- FPF402 ------------------------------------------------------------------------------------

#: One step of the way from a function body to a yield: the yield is inside ``block[index]``,
#: ``block`` being the ``field`` block of ``owner`` (None: the function body).
Frame = tuple[list, int, "ast.stmt | None", str]


def _yield_sites(fn: FunctionInfo) -> Iterator[tuple[ast.expr, list[Frame]]]:
    """Each yield of ``fn`` (not of nested functions) with the frames leading to it."""

    def visit(stmts: list, owner: ast.stmt | None, field: str, frames: list[Frame]) -> Iterator[tuple[ast.expr, list[Frame]]]:
        for index, stmt in enumerate(stmts):
            if isinstance(stmt, NESTED_SCOPES):
                continue
            here = [*frames, (stmts, index, owner, field)]
            own: list[ast.AST] = []
            blocks: list[tuple[str, list]] = []
            for name, value in ast.iter_fields(stmt):
                if name == "handlers":
                    blocks.extend(("handlers", handler.body) for handler in value)
                elif name == "cases":
                    blocks.extend(("cases", case.body) for case in value)
                elif isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    blocks.append((name, value))
                elif isinstance(value, ast.AST):
                    own.append(value)
                elif isinstance(value, list):
                    own.extend(v for v in value if isinstance(v, ast.AST))
            for node in _own_nodes(own):
                if isinstance(node, (ast.Yield, ast.YieldFrom)):
                    yield node, here
            for name, block in blocks:
                yield from visit(block, stmt, name, here)

    yield from visit(fn.node.body, None, "body", [])


def _cleanup_after(frames: list[Frame]) -> ast.Call | None:
    """The first cleanup call that runs after the yield on the normal path only.

    That is: the statements after the yield in its block and in every enclosing block, the
    ``else`` of an enclosing ``try`` or loop; not ``except`` clauses, and not the ``finally`` of a
    ``try`` around the yield (protected: the reason to write one).
    """
    pending: list[ast.stmt] = []
    for block, index, owner, field in reversed(frames):
        pending.extend(block[index + 1 :])
        if isinstance(owner, TRY_TYPES) and field == "body":
            pending.extend(owner.orelse)
        elif isinstance(owner, (ast.For, ast.AsyncFor, ast.While)) and field == "body":
            pending.extend(owner.orelse)
    for node in _own_nodes(pending):
        if isinstance(node, ast.Call) and _is_cleanup(node):
            return node
    return None


def _is_cleanup(call: ast.Call) -> bool:
    if _close_call_receiver(call) is not None:
        return True
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}" in tables.CLEANUP_CALLS
    return False


def _check_yield(ctx: ModuleContext, fn: FunctionInfo, where: str | None = None) -> Iterator[Diagnostic]:
    for node, frames in _yield_sites(fn):
        cleanup = _cleanup_after(frames)
        if cleanup is None:
            continue
        yield CleanupNotInFinally.diagnostic(
            node,
            f"cleanup after the yield of {where or ctx.fastapi.describe(fn)} is skipped when the "
            f"request raises ({_label(cleanup)} at line {cleanup.lineno}); put it in a finally "
            f"around the yield",
        )
        return  # one finding per dependency


def _dependency_shaped(types: _Types, fn: FunctionInfo) -> bool:
    """A generator of a FastAPI module that is not used as a dependency *here*, but has the exact
    shape of one defined for other modules (``def get_db(): db = SessionLocal(); yield db``):
    module level, undecorated, one yield, of a resource it opened itself.  However it is used
    (``Depends`` in another module, ``contextmanager(get_db)``, ``next(get_db())``), cleanup
    after that yield is skipped when the consumer raises."""
    if fn.parent is not None or fn.cls is not None or fn.node.decorator_list:
        return False
    sites = list(_yield_sites(fn))
    if len(sites) != 1 or not isinstance(sites[0][0], ast.Yield):
        return False
    value = sites[0][0].value
    if isinstance(value, ast.Name) and value.id in fn.bound:
        values = fn.assigns.get(value.id, [])
        value = values[0] if len(values) == 1 else None
    if isinstance(value, ast.Await):
        value = value.value
    return isinstance(value, ast.Call) and types.opened(value, fn) is not None


# -- FPF403 ------------------------------------------------------------------------------------


def _check_depends(ctx: ModuleContext, types: _Types) -> Iterator[Diagnostic]:
    resolver = ctx.resolver
    for call, scope in ctx.module.special_calls:
        fn = scope if isinstance(scope, FunctionInfo) else None
        if resolver.qualname(call.func, fn) not in DEPENDS:
            continue
        target = call.args[0] if call.args else next(
            (kw.value for kw in call.keywords if kw.arg == "dependency"), None
        )
        if target is None or not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        if resolver.function_ref(target, fn) is not None:
            continue
        q = _qualname(resolver, target, fn)
        what = tables.DIRECT_FACTORIES.get(q) if q is not None else None
        if what is None and types.session_factory(target, fn):
            what = "SQLAlchemy session"
        if what is None:
            continue
        owner = _signature_owner(ctx, call)
        where = f" for {ctx.fastapi.describe(owner)}" if owner is not None and ctx.fastapi.role(owner) else ""
        yield DependsOnFactory.diagnostic(
            call,
            f"`{_label(call)}` makes a new {what} per request{where} that nothing ever closes; "
            f"depend on a yield dependency that closes it (with ... as x: yield x)",
        )


def _signature_owner(ctx: ModuleContext, call: ast.Call) -> FunctionInfo | None:
    """The function whose parameters or decorators hold ``call`` (``db=Depends(SessionLocal)``)."""
    for fn in ctx.module.all_functions:
        node = fn.node
        args = node.args
        roots: list[ast.AST] = [*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d)]
        roots.extend(a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.annotation)
        for root in roots:
            if any(sub is call for sub in ast.walk(root)):
                return fn
    return None


# -- FPF404 ------------------------------------------------------------------------------------


def _check_per_request(ctx: ModuleContext, fn: FunctionInfo) -> Iterator[Diagnostic]:
    resolver = ctx.resolver
    facts: _FunctionFacts | None = None
    for call in fn.sorted_calls():
        q = _qualname(resolver, call.func, fn)
        what = tables.PER_REQUEST.get(q) if q is not None else None
        if what is None:
            continue
        if facts is None:
            facts = _FunctionFacts(resolver, fn)
        if _shared_pool(call, fn) or _handled(facts, call):
            continue
        name = _assigned_name(facts, call)
        closes = "closes it only when nothing raises" if name in facts.closed_somewhere else "never closes it"
        yield ClientPerRequest.diagnostic(
            call,
            f"{_label(call.func)}() builds a new {what} on every call of {ctx.fastapi.describe(fn)} "
            f"and {closes}; create it once (lifespan, app.state) and share it, or use "
            f"`async with`/`with`",
        )


def _assigned_name(facts: _FunctionFacts, call: ast.Call) -> str | None:
    parent = facts.parents.get(id(call))
    while isinstance(parent, ast.Await):
        parent = facts.parents.get(id(parent))
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return parent.targets[0].id
    if isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and isinstance(parent.target, ast.Name):
        return parent.target.id
    return None


def _shared_pool(call: ast.Call, fn: FunctionInfo) -> bool:
    """A client over a pool made elsewhere: ``httpx.AsyncClient(transport=shared)``,
    ``aiohttp.ClientSession(connector=shared)``, ``redis.Redis(connection_pool=pool)``; not a
    transport built in the same function."""
    for kw in call.keywords:
        if kw.arg not in tables.SHARED_POOL_KEYWORDS:
            continue
        value = kw.value
        if isinstance(value, ast.Name) and value.id in fn.bound:
            if not any(isinstance(v, (ast.Call, ast.Await)) for v in fn.assigns.get(value.id, [])):
                return True  # a parameter or a copy of a shared one
        elif isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)):
            return True
    return False


def _handled(facts: _FunctionFacts, call: ast.Call) -> bool:
    """Managed by a with, closed in a finally, or handed to another owner."""
    node: ast.AST = call
    parent = facts.parents.get(id(node))
    while isinstance(parent, ast.Await):
        node, parent = parent, facts.parents.get(id(parent))
    if id(call) in facts.managed_exprs or id(node) in facts.managed_exprs:
        return True
    if isinstance(parent, ast.keyword):
        return True  # Service(client=httpx.AsyncClient()): the service owns it
    if isinstance(parent, ast.Call) and parent.func is not node:
        return True  # handed to another call
    if isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom, ast.Tuple, ast.List, ast.Dict)):
        return True
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                return True  # app.state.client = ..., self._client = ..., cache[key] = ...
            name = target.id
            if name in facts.managed or name in facts.closed or name in facts.stored or name in facts.returned:
                return True
        return False
    return False


# -- the family --------------------------------------------------------------------------------


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    model = ctx.fastapi
    if not model.uses_fastapi:
        return
    types = _Types(ctx)
    for fn in ctx.module.all_functions:
        role = model.role(fn)
        if role == "dependency":
            if fn.is_generator:
                yield from _check_yield(ctx, fn)
            else:
                yield from _check_returns(ctx, types, fn)
        elif role is None and fn.is_generator and _dependency_shaped(types, fn):
            yield from _check_yield(ctx, fn, f"generator `{fn.qualname}` (shaped like a yield dependency)")
        if role in PER_REQUEST_ROLES:
            yield from _check_per_request(ctx, fn)
    yield from _check_depends(ctx, types)
