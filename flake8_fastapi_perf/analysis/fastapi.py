"""A model of what FastAPI (or Starlette) does with each function of a module.

Roles: path operations (``@app.get``, ``@router.api_route``, ``add_api_route``, websockets),
dependencies (anything passed to ``Depends``/``Security``, in signatures, ``Annotated[...]``,
``dependencies=[...]``), middleware (``BaseHTTPMiddleware.dispatch``, ``@app.middleware``, pure
ASGI ``__call__``), lifespan/startup/shutdown handlers and exception handlers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..data import state as state_tables
from .names import DEPENDS, Resolver
from .scope import ClassInfo, FunctionInfo, ModuleInfo, Scope

APP_CLASSES = {
    "fastapi.FastAPI": "app",
    "fastapi.applications.FastAPI": "app",
    "fastapi.APIRouter": "router",
    "fastapi.routing.APIRouter": "router",
    "starlette.applications.Starlette": "app",
    "starlette.routing.Router": "router",
}
ROUTE_DECORATORS = {
    "get": "endpoint",
    "post": "endpoint",
    "put": "endpoint",
    "patch": "endpoint",
    "delete": "endpoint",
    "head": "endpoint",
    "options": "endpoint",
    "trace": "endpoint",
    "api_route": "endpoint",
    "route": "endpoint",
    "websocket": "websocket",
    "websocket_route": "websocket",
}
ROUTE_METHODS = {
    "add_api_route": "endpoint",
    "add_route": "endpoint",
    "add_api_websocket_route": "websocket",
    "add_websocket_route": "websocket",
}
ROUTE_CLASSES = {
    "starlette.routing.Route": "endpoint",
    "starlette.routing.WebSocketRoute": "websocket",
    "fastapi.routing.APIRoute": "endpoint",
    "fastapi.routing.APIWebSocketRoute": "websocket",
}
MIDDLEWARE_BASES = frozenset(
    ["starlette.middleware.base.BaseHTTPMiddleware", "fastapi.middleware.base.BaseHTTPMiddleware"]
)
#: Canonical names of the parameter types FastAPI injects.
PARAMETER_TYPES = {
    "fastapi.UploadFile": "upload",
    "fastapi.datastructures.UploadFile": "upload",
    "starlette.datastructures.UploadFile": "upload",
    "fastapi.Request": "request",
    "fastapi.requests.Request": "request",
    "starlette.requests.Request": "request",
    "fastapi.WebSocket": "websocket",
    "fastapi.websockets.WebSocket": "websocket",
    "starlette.websockets.WebSocket": "websocket",
    "fastapi.BackgroundTasks": "background_tasks",
    "fastapi.background.BackgroundTasks": "background_tasks",
    "starlette.background.BackgroundTasks": "background_tasks",
}

#: Roles, most specific first; the label is what messages call such a function.
LABELS = {
    "endpoint": "endpoint",
    "websocket": "websocket endpoint",
    "middleware": "middleware",
    "dependency": "dependency",
    "exception_handler": "exception handler",
    "background_task": "background task",
    "lifespan_task": "lifespan task",
    "lifespan": "lifespan handler",
    "startup": "startup handler",
    "shutdown": "shutdown handler",
}
PRIORITY = list(LABELS)
#: Roles whose code runs before the app serves requests or after it stopped.
OUTSIDE_REQUESTS = frozenset(["lifespan", "startup", "shutdown"])


@dataclass
class FastAPIModel:
    roles: dict[int, str] = field(default_factory=dict)  # id(FunctionInfo.node) -> role
    apps: dict[str, tuple[str, ast.Call]] = field(default_factory=dict)  # var -> (kind, call)
    route_decorators: dict[int, ast.Call] = field(default_factory=dict)  # id(node) -> decorator
    uses_fastapi: bool = False

    def role(self, fn: FunctionInfo) -> str | None:
        return self.roles.get(id(fn.node))

    def describe(self, fn: FunctionInfo) -> str:
        """``async endpoint `fetch` (GET /items/{item_id})``, ``middleware `Timing.dispatch```,
        ``coroutine `helper```."""
        role = self.role(fn)
        if role is None:
            return f"coroutine `{fn.qualname}`"
        label = LABELS[role]
        if role in ("endpoint", "dependency") and fn.is_async:
            label = "async " + label
        route = self.route(fn)
        return f"{label} `{fn.qualname}`" + (f" ({route})" if route else "")

    def route(self, fn: FunctionInfo) -> str | None:
        """What a path operation's decorator says: ``GET /items/{item_id}``, ``GET|POST /x``,
        ``WEBSOCKET /ws``, with the prefix of an ``APIRouter(prefix=...)`` of this module (one
        added by ``include_router`` elsewhere is not known here)."""
        decorator = self.route_decorators.get(id(fn.node))
        if decorator is None or not isinstance(decorator.func, ast.Attribute):
            return None
        path = _argument(decorator, 0, "path")
        if not (isinstance(path, ast.Constant) and isinstance(path.value, str)):
            return None
        attr = decorator.func.attr
        if attr in ("websocket", "websocket_route"):
            methods = ["WEBSOCKET"]
        elif attr in ("api_route", "route"):
            listed = next((kw.value for kw in decorator.keywords if kw.arg == "methods"), None)
            if listed is None:
                methods = ["GET"]
            elif isinstance(listed, (ast.List, ast.Tuple)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in listed.elts
            ):
                methods = [e.value.upper() for e in listed.elts]  # type: ignore[union-attr]
            else:
                return None
        else:
            methods = [attr.upper()]
        prefix = ""
        owner = decorator.func.value
        if isinstance(owner, ast.Name) and owner.id in self.apps:
            found = next((kw.value for kw in self.apps[owner.id][1].keywords if kw.arg == "prefix"), None)
            if isinstance(found, ast.Constant) and isinstance(found.value, str):
                prefix = found.value.rstrip("/")
        shown = (prefix + path.value) or "/"
        return f"{'|'.join(methods) or 'GET'} {_printable(shown)}"


def _set_role(model: FastAPIModel, fn: FunctionInfo | None, role: str) -> None:
    if fn is None:
        return
    key = id(fn.node)
    current = model.roles.get(key)
    if current is None or PRIORITY.index(role) < PRIORITY.index(current):
        model.roles[key] = role


def _enclosing_function(scope: Scope) -> FunctionInfo | None:
    return scope if isinstance(scope, FunctionInfo) else None


def build_model(module: ModuleInfo, resolver: Resolver) -> FastAPIModel:
    model = FastAPIModel()
    model.uses_fastapi = any(
        q.startswith(("fastapi", "starlette")) for q in module.imports.values()
    )
    for fn in module.all_functions:
        if fn.is_async and "lifespan" in fn.name.lower() and _is_async_context_manager(resolver, fn):
            # a lifespan registered elsewhere (by a factory, a library's decorator, another
            # module): it runs at startup and shutdown, whoever registers it
            _set_role(model, fn, "lifespan")
    if not model.uses_fastapi:
        return model
    app_names: set[str] = set()
    for name, values in module.assigns.items():
        for value in values:
            if isinstance(value, ast.Call):
                kind = APP_CLASSES.get(resolver.qualname(value.func) or "")
                if kind is not None:
                    model.apps[name] = (kind, value)
                    app_names.add(name)
    for fn in module.all_functions:
        for name, values in fn.assigns.items():
            if any(
                isinstance(v, ast.Call) and resolver.qualname(v.func, fn) in APP_CLASSES for v in values
            ):
                app_names.add(name)

    def app_like(expr: ast.expr, fn: FunctionInfo | None) -> bool:
        if isinstance(expr, ast.Name):
            if expr.id in app_names:
                return True
            q = resolver.qualname(expr, fn)
            # an imported object, or a local one of unknown origin, in a FastAPI module
            return q is None or not q.startswith(("flask", "quart", "sanic", "bottle", "django"))
        return isinstance(expr, (ast.Attribute, ast.Call))

    for fn in module.all_functions:
        outer = fn.parent
        for decorator in fn.node.decorator_list:
            if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
                continue
            attr = decorator.func.attr
            owner = decorator.func.value
            if attr in ROUTE_DECORATORS and app_like(owner, outer):
                _set_role(model, fn, ROUTE_DECORATORS[attr])
                model.route_decorators[id(fn.node)] = decorator
            elif attr == "middleware" and app_like(owner, outer):
                _set_role(model, fn, "middleware")
            elif attr == "exception_handler" and app_like(owner, outer):
                _set_role(model, fn, "exception_handler")
            elif attr == "on_event" and app_like(owner, outer):
                _set_role(model, fn, "shutdown" if _first_str(decorator) == "shutdown" else "startup")
    for call, scope in module.special_calls:
        _special_call(model, resolver, call, _enclosing_function(scope), app_like)
    for cls in module.all_classes:
        if is_http_middleware_class(resolver, cls):
            _set_role(model, cls.methods.get("dispatch"), "middleware")
        call = cls.methods.get("__call__")
        if call is not None and call.is_async and [a.arg for a in call.node.args.args[1:4]] == [
            "scope",
            "receive",
            "send",
        ]:
            _set_role(model, call, "middleware")
    # loops a lifespan or a startup handler spawns run beside the requests for the server's life
    for fn in module.all_functions:
        if model.role(fn) in ("lifespan", "startup"):
            for call in fn.sorted_calls():
                if resolver.qualname(call.func, fn) in state_tables.TASK_SPAWNERS or (
                        isinstance(call.func, ast.Attribute) and call.func.attr == "create_task"):
                    spawned = call.args[0] if call.args else None
                    if isinstance(spawned, ast.Call):
                        _set_role(model, _ref(resolver, spawned.func, fn), "lifespan_task")
    return model


def _is_async_context_manager(resolver: Resolver, fn: FunctionInfo) -> bool:
    return any(
        resolver.qualname(d.func if isinstance(d, ast.Call) else d, None) == "contextlib.asynccontextmanager"
        for d in fn.node.decorator_list
    )


def _printable(text: str) -> str:
    """A path as one line of plain text (a decorator's string may hold anything)."""
    text = text if len(text) <= 80 else text[:77] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _first_str(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


def _special_call(model, resolver: Resolver, call: ast.Call, fn, app_like) -> None:  # type: ignore[no-untyped-def]
    func = call.func
    q = resolver.qualname(func, fn)
    if q in DEPENDS:
        target = _argument(call, 0, "dependency")
        if target is not None:
            _set_role(model, resolver.function_ref(target, fn), "dependency")
        return
    if q in APP_CLASSES:
        for kw in call.keywords:
            if kw.arg == "lifespan":
                _set_role(model, resolver.function_ref(kw.value, fn), "lifespan")
            elif kw.arg in ("on_startup", "on_shutdown") and isinstance(kw.value, (ast.List, ast.Tuple)):
                for elt in kw.value.elts:
                    _set_role(model, resolver.function_ref(elt, fn), kw.arg[3:])
            elif kw.arg == "exception_handlers" and isinstance(kw.value, ast.Dict):
                for value in kw.value.values:
                    _set_role(model, resolver.function_ref(value, fn), "exception_handler")
        return
    if q in ROUTE_CLASSES:
        _set_role(model, _ref(resolver, _argument(call, 1, "endpoint"), fn), ROUTE_CLASSES[q])
        return
    if q in BACKGROUND_TASK_CLASSES:  # ``BackgroundTask(send_email, to)`` (Starlette)
        _set_role(model, _ref(resolver, _argument(call, 0, "func"), fn), "background_task")
        return
    if (isinstance(func, ast.Attribute) and func.attr == "add_task" and fn is not None
            and isinstance(func.value, ast.Name) and _background_tasks(resolver, fn, func.value.id)):
        # ``background_tasks.add_task(send_email, to)`` on a ``BackgroundTasks`` parameter
        _set_role(model, _ref(resolver, _argument(call, 0, "func"), fn), "background_task")
        return
    if not isinstance(func, ast.Attribute) or not app_like(func.value, fn):
        return
    if func.attr in ROUTE_METHODS:
        _set_role(model, _ref(resolver, _argument(call, 1, "endpoint"), fn), ROUTE_METHODS[func.attr])
    elif func.attr == "add_event_handler":
        role = "shutdown" if _first_str(call) == "shutdown" else "startup"
        _set_role(model, _ref(resolver, _argument(call, 1, "func"), fn), role)
    elif func.attr == "add_exception_handler":
        _set_role(model, _ref(resolver, _argument(call, 1, "handler"), fn), "exception_handler")


#: Starlette's one-task class (``BackgroundTasks.add_task`` is recognised on its parameter)
BACKGROUND_TASK_CLASSES = frozenset(["starlette.background.BackgroundTask", "fastapi.background.BackgroundTask"])


def _background_tasks(resolver: Resolver, fn: FunctionInfo, name: str) -> bool:
    """``name`` is a parameter of ``fn`` (or of a function around it) annotated ``BackgroundTasks``."""
    scope: FunctionInfo | None = fn
    while scope is not None:
        args = scope.node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            if arg.arg == name:
                return parameter_kind(resolver, scope, arg) == "background_tasks"
        scope = scope.parent
    return False


def _ref(resolver: Resolver, expr: ast.expr | None, fn: FunctionInfo | None) -> FunctionInfo | None:
    return resolver.function_ref(expr, fn) if expr is not None else None


def is_http_middleware_class(resolver: Resolver, cls: ClassInfo, depth: int = 0) -> bool:
    """A subclass (directly or through local classes) of ``BaseHTTPMiddleware``."""
    if depth > 10:
        return False
    for base in cls.node.bases:
        if resolver.qualname(base) in MIDDLEWARE_BASES:
            return True
        if isinstance(base, ast.Name):
            local = resolver.module.classes.get(base.id)
            if local is not None and local is not cls and is_http_middleware_class(resolver, local, depth + 1):
                return True
    return False


def parameter_kind(resolver: Resolver, fn: FunctionInfo, arg: ast.arg) -> str | None:
    """``upload``, ``request``, ``websocket``, ``background_tasks`` or ``session`` (sync SQLAlchemy)."""
    if arg.annotation is None:
        return None
    annotation = arg.annotation
    # unwrap Annotated[X, ...], Optional[X], list[X]
    while isinstance(annotation, ast.Subscript):
        elts = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        annotation = elts[0]
    q = resolver.qualname(annotation, fn.parent)
    if q in PARAMETER_TYPES:
        return PARAMETER_TYPES[q]
    if resolver.local_type(fn, arg.arg) == "sqlalchemy.orm.Session":
        return "session"
    return None
