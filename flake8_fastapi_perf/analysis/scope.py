"""One walk over a module's ``ast`` that records the facts the rules need.

The walk is iterative (no recursion limit on deeply nested expressions) and visits every node
once.  It records, per function: the calls it makes itself (not those of nested functions), which
of them are awaited, whether it awaits at all, what it assigns, yields and returns; per class:
methods and ``self.x = ...`` assignments; per module: imports, module-level assignments and the
calls that FastAPI's model needs (``Depends``, ``add_api_route``, ``FastAPI(...)`` ...).
"""

from __future__ import annotations

import ast
from operator import attrgetter
from typing import Union

#: Last names of callables that run their function argument outside the event loop (also when
#: imported under another name).  Starlette's ``BackgroundTask(func)`` and
#: ``BackgroundTasks.add_task(func)`` run a sync ``func`` (a lambda is one) in the threadpool.
OFFLOAD_NAMES = frozenset(
    [
        "run_in_threadpool",
        "to_thread",
        "run_sync",
        "run_in_executor",
        "add_task",
        "BackgroundTask",
        "submit",
        "asyncify",
        "iterate_in_threadpool",
    ]
)

#: Last names of calls that the FastAPI model looks at.
SPECIAL_CALL_NAMES = frozenset(
    [
        "Depends",
        "Security",
        "add_api_route",
        "add_api_websocket_route",
        "add_route",
        "add_websocket_route",
        "add_event_handler",
        "add_exception_handler",
        "add_task",
        "BackgroundTask",
        "add_middleware",
        "include_router",
        "FastAPI",
        "APIRouter",
        "Starlette",
        "Router",
        "Route",
        "WebSocketRoute",
        "APIRoute",
    ]
)


_POSITION = attrgetter("lineno", "col_offset")

TRY_TYPES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)

def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


#: Node types the walk enters: every ast node type but names, constants, contexts and operators
#: (leaves that hold nothing the analysis needs).
_ENTER = frozenset(_subclasses(ast.AST)) - frozenset(
    [ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.alias]
    + _subclasses(ast.operator) + _subclasses(ast.unaryop) + _subclasses(ast.cmpop) + _subclasses(ast.boolop)
)
#: Per node type, the fields that can hold child nodes worth entering.
_FIELDS: dict[type, tuple[str, ...]] = {}


#: Fields that never hold a node worth entering: contexts, operators, and strings or numbers.
_LEAF_FIELDS = frozenset(["ctx", "op", "ops", "type_comment", "id", "attr", "arg", "module", "level",
                          "is_async", "kind", "conversion", "simple", "asname"])


def _fields(tp: type) -> tuple[str, ...]:
    # ``name`` is a string but in ``type X = ...`` (TypeAlias, Python 3.12), where it is a Name
    skip = _LEAF_FIELDS if tp.__name__ == "TypeAlias" else _LEAF_FIELDS | {"name"}
    fields = tuple(f for f in tp._fields if f not in skip)  # type: ignore[attr-defined]
    _FIELDS[tp] = fields
    return fields


class ClassInfo:
    __slots__ = ("node", "name", "parent", "methods", "attr_assigns", "annotations")

    def __init__(self, node: ast.ClassDef, parent: Scope) -> None:
        self.node = node
        self.name = node.name
        self.parent = parent
        self.methods: dict[str, FunctionInfo] = {}
        self.attr_assigns: dict[str, list[ast.expr]] = {}  # self.x = value, x = value in body
        self.annotations: dict[str, ast.expr] = {}

    def __repr__(self) -> str:
        return f"<class {self.name}>"


class FunctionInfo:
    __slots__ = (
        "node",
        "name",
        "qualname",
        "is_async",
        "cls",
        "parent",
        "calls",
        "awaited",
        "has_await",
        "is_generator",
        "assigns",
        "annotations",
        "bound",
        "yields",
        "returns",
        "local_funcs",
        "once",
        "_sorted",
    )

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, cls: ClassInfo | None,
                 parent: FunctionInfo | None) -> None:
        self.node = node
        self.name = node.name
        self.qualname = f"{cls.name}.{node.name}" if cls is not None else node.name
        self.is_async = isinstance(node, ast.AsyncFunctionDef)
        self.cls = cls
        self.parent = parent
        self.calls: list[ast.Call] = []
        self.awaited: set[int] = set()
        self.has_await = False
        self.is_generator = False
        self.assigns: dict[str, list[ast.expr]] = {}
        self.annotations: dict[str, ast.expr] = {}
        self.bound: set[str] = set()
        self.yields: list[ast.expr] = []
        self.returns: list[ast.expr] = []
        self.local_funcs: dict[str, FunctionInfo] = {}
        self.once: frozenset[int] | None = None  # see calls.once_calls
        self._sorted = False
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            self.bound.add(arg.arg)
        if args.vararg:
            self.bound.add(args.vararg.arg)
        if args.kwarg:
            self.bound.add(args.kwarg.arg)

    def sorted_calls(self) -> list[ast.Call]:
        """The function's own calls in source order."""
        if not self._sorted:
            self.calls.sort(key=_POSITION)
            self._sorted = True
        return self.calls

    def __repr__(self) -> str:
        return f"<{'async ' if self.is_async else ''}def {self.qualname}>"


Scope = Union["ModuleInfo", ClassInfo, FunctionInfo]


def is_static(fn: FunctionInfo) -> bool:
    """``fn`` is decorated ``@staticmethod``: called on an object, it gets no receiver."""
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.node.decorator_list)


def module_level(fn: FunctionInfo) -> bool:
    """``fn`` is a module-level function or a method of a module-level class: other modules can
    name it (by qualname), and what is learnt of it can outlive its tree."""
    return fn.parent is None and (fn.cls is None or isinstance(fn.cls.parent, ModuleInfo))


class ModuleInfo:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.imports: dict[str, str] = {}
        self.functions: dict[str, FunctionInfo] = {}  # module-level defs by name
        self.classes: dict[str, ClassInfo] = {}
        self.all_functions: list[FunctionInfo] = []
        self.all_classes: list[ClassInfo] = []
        self.assigns: dict[str, list[ast.expr]] = {}
        self.annotations: dict[str, ast.expr] = {}
        self.special_calls: list[tuple[ast.Call, Scope]] = []
        self.module_calls: list[ast.Call] = []  # calls made at import time
        _collect(self)

    def dispose(self) -> None:
        """Break the reference cycles between this module's scopes (a method and its class, a
        nested def and its parent), so the tree is freed by reference counting as soon as the
        last user lets go, without waiting for the cyclic GC.  The object must not be used
        afterwards."""
        for fn in self.all_functions:
            fn.cls = fn.parent = None
            fn.local_funcs = {}
        for cls in self.all_classes:
            cls.parent = None
            cls.methods = {}
        self.special_calls = []  # (call, scope) pairs: the scope may be this object


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _bind_target(target: ast.expr, value: ast.expr | None, scope: Scope, module: ModuleInfo) -> None:
    """Record ``target = value`` in ``scope``."""
    if isinstance(target, ast.Name):
        if isinstance(scope, FunctionInfo):
            scope.bound.add(target.id)
            if value is not None:
                scope.assigns.setdefault(target.id, []).append(value)
        elif isinstance(scope, ClassInfo):
            if value is not None:
                scope.attr_assigns.setdefault(target.id, []).append(value)
        elif value is not None:
            module.assigns.setdefault(target.id, []).append(value)
        else:
            module.assigns.setdefault(target.id, [])
    elif isinstance(target, ast.Attribute):
        # self.x = value inside a method
        if (
            isinstance(scope, FunctionInfo)
            and scope.cls is not None
            and value is not None
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            scope.cls.attr_assigns.setdefault(target.attr, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        # ``a, b = x, y`` binds ``a = x`` and ``b = y``; other unpackings bind without a value
        values = (
            value.elts
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
            else [None] * len(target.elts)
        )
        for elt, elt_value in zip(target.elts, values):
            _bind_target(elt.value if isinstance(elt, ast.Starred) else elt, elt_value, scope, module)


#: Node types ``_collect`` looks at itself (every other one: only its children).
_SPECIAL = frozenset([
    ast.Call, ast.Await, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Assign,
    ast.AnnAssign, ast.With, ast.AsyncWith, ast.AsyncFor, ast.For, ast.NamedExpr, ast.comprehension,
    ast.Yield, ast.YieldFrom, ast.Return, ast.Import, ast.ImportFrom, *TRY_TYPES,
])


def _collect(module: ModuleInfo) -> None:
    # One stack of nodes per scope being walked (``frames``): a def or class suspends the walk of
    # its enclosing scope until its body is done, which visits the nodes in the same order as one
    # stack of (node, scope) pairs would, without making a pair per node.
    offloaded: set[int] = set()
    imports = module.imports
    special_calls = module.special_calls
    module_calls = module.module_calls
    all_functions = module.all_functions
    Call, Await, Name, Attribute, Lambda = ast.Call, ast.Await, ast.Name, ast.Attribute, ast.Lambda
    FunctionDef, AsyncFunctionDef, ClassDef = ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef
    Assign, AnnAssign, With, AsyncWith, For, AsyncFor = ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor
    special = _SPECIAL
    enter = _ENTER
    fields_of = _FIELDS
    frames: list[tuple[list[ast.AST], Scope]] = []
    stack: list[ast.AST] = list(reversed(module.tree.body))
    scope: Scope = module
    fn: FunctionInfo | None = None  # scope, when it is a function
    while True:
        if not stack:
            if not frames:
                return
            stack, scope = frames.pop()
            fn = scope if type(scope) is FunctionInfo else None
            continue
        node = stack.pop()
        tp = type(node)
        if tp not in special:
            pass  # most nodes: only their children matter
        elif tp is Call:
            if fn is not None:
                fn.calls.append(node)
            elif scope is module:
                module_calls.append(node)
            func = node.func
            name = func.id if type(func) is Name else func.attr if type(func) is Attribute else None
            if name is not None:
                if name in SPECIAL_CALL_NAMES:
                    special_calls.append((node, scope))
                if name in OFFLOAD_NAMES or (
                    type(func) is Name and name in imports and imports[name].rpartition(".")[2] in OFFLOAD_NAMES
                ):
                    for arg in node.args:
                        if type(arg) is Lambda:
                            offloaded.add(id(arg))
                    for kw in node.keywords:
                        if type(kw.value) is Lambda:
                            offloaded.add(id(kw.value))
        elif tp is Await:
            if fn is not None:
                fn.has_await = True
                if type(node.value) is Call:
                    fn.awaited.add(id(node.value))
        elif tp is FunctionDef or tp is AsyncFunctionDef:
            cls = scope if type(scope) is ClassInfo else None
            info = FunctionInfo(node, cls, fn)  # type: ignore[arg-type]
            all_functions.append(info)
            if cls is not None:
                cls.methods[node.name] = info
            elif fn is not None:
                fn.local_funcs[node.name] = info
                fn.bound.add(node.name)
            else:
                module.functions[node.name] = info
            # decorators, defaults and annotations are evaluated in the enclosing scope
            stack.extend(node.decorator_list)
            args = node.args
            stack.extend(args.defaults)
            stack.extend([d for d in args.kw_defaults if d is not None])
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if arg is not None and arg.annotation is not None:
                    stack.append(arg.annotation)
            if node.returns is not None:
                stack.append(node.returns)
            frames.append((stack, scope))
            stack = node.body[::-1]
            scope = fn = info
            continue
        elif tp is ClassDef:
            cinfo = ClassInfo(node, scope)
            module.all_classes.append(cinfo)
            if scope is module:
                module.classes[node.name] = cinfo
            elif fn is not None:
                fn.bound.add(node.name)
            stack.extend(node.decorator_list)
            stack.extend(node.bases)
            stack.extend(node.keywords)
            frames.append((stack, scope))
            stack = node.body[::-1]
            scope = cinfo
            fn = None
            continue
        elif tp is Lambda:
            if id(node) not in offloaded:  # else it runs in a worker thread, not on the loop
                stack.append(node.body)
            continue
        elif tp is Assign:
            for target in node.targets:
                _bind_target(target, node.value, scope, module)
        elif tp is AnnAssign:
            target = node.target
            if type(target) is Name:
                if fn is not None:
                    fn.annotations[target.id] = node.annotation
                elif type(scope) is ClassInfo:
                    scope.annotations[target.id] = node.annotation
                else:
                    module.annotations[target.id] = node.annotation
            elif (
                type(target) is Attribute
                and fn is not None
                and fn.cls is not None
                and type(target.value) is Name
                and target.value.id == "self"
            ):
                fn.cls.annotations.setdefault(target.attr, node.annotation)
            _bind_target(target, node.value, scope, module)
        elif tp is With or tp is AsyncWith:
            if tp is AsyncWith and fn is not None:
                fn.has_await = True
            for item in node.items:
                if item.optional_vars is not None:
                    _bind_target(item.optional_vars, item.context_expr, scope, module)
        elif tp is AsyncFor:
            if fn is not None:
                fn.has_await = True
                _bind_target(node.target, None, scope, module)
        elif tp is For:
            _bind_target(node.target, None, scope, module)
        elif tp is ast.NamedExpr:
            _bind_target(node.target, node.value, scope, module)
        elif tp is ast.comprehension:
            if node.is_async and fn is not None:
                fn.has_await = True
        elif tp is ast.Yield or tp is ast.YieldFrom:
            if fn is not None:
                fn.is_generator = True
                if node.value is not None:
                    fn.yields.append(node.value)
        elif tp is ast.Return:
            if fn is not None and node.value is not None:
                fn.returns.append(node.value)
        elif tp is ast.Import:
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    imports[top] = top
            continue
        elif tp is ast.ImportFrom:
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    sep = "" if base.endswith(".") else "."
                    imports[alias.asname or alias.name] = f"{base}{sep}{alias.name}"
            continue
        elif tp in TRY_TYPES:
            if fn is not None:
                for handler in node.handlers:
                    if handler.name:
                        fn.bound.add(handler.name)
        fields = fields_of.get(tp)
        if fields is None:
            fields = _fields(tp)
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if type(item) in enter:
                        stack.append(item)
            elif type(value) in enter:
                stack.append(value)


NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
#: Every node type but contexts and operators.
_NODES = _ENTER | {ast.Name, ast.Constant, ast.alias}


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` without contexts and operators, as a list (several times faster)."""
    tp = type(node)
    fields = _FIELDS.get(tp)
    if fields is None:
        fields = _fields(tp)
    children: list[ast.AST] = []
    for field in fields:
        value = getattr(node, field, None)
        if type(value) is list:
            children.extend(item for item in value if type(item) in _NODES)
        elif type(value) in _NODES:
            children.append(value)
    return children


def walk_function(fn: FunctionInfo):  # type: ignore[no-untyped-def]
    """Every node of ``fn``'s own body, in no particular order, not descending into nested
    functions, classes or lambdas (their code runs at another time)."""
    stack: list[ast.AST] = list(fn.node.body)
    while stack:
        node = stack.pop()
        yield node
        for child in child_nodes(node):
            if not isinstance(child, NESTED_SCOPES):
                stack.append(child)
