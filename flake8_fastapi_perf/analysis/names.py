"""Qualified names and value types of expressions, from the module's import table.

``resolver.qualname(expr)`` turns ``pause`` (after ``from time import sleep as pause``) into
``time.sleep`` and ``r.get`` (after ``import requests as r``) into ``requests.get``.
``resolver.type_of(expr, fn)`` knows a little about values: ``SessionLocal()`` is a
``sqlalchemy.orm.Session`` when ``SessionLocal = sessionmaker(...)``, a parameter annotated
``Annotated[Session, Depends(get_db)]`` is one too, and so is one injected with
``Depends(get_db)`` when ``get_db`` yields a session.  A type is either a qualified name from
the tables in :mod:`flake8_fastapi_perf.data.blocking` or a :class:`ClassInfo` of this module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Union

from ..data import blocking as tables
from .scope import ClassInfo, FunctionInfo, ModuleInfo


def join_name(base: str, names: list[str]) -> str:
    """``base`` (``pkg.mod``, ``.mod`` or ``..``) extended by attribute names."""
    if not names:
        return base
    return base + ("" if not base or base.endswith(".") else ".") + ".".join(names)


Type = Union[str, ClassInfo]

ANNOTATED = frozenset(["typing.Annotated", "typing_extensions.Annotated"])
OPTIONAL = frozenset(["typing.Optional", "typing_extensions.Optional"])
UNION = frozenset(["typing.Union", "typing_extensions.Union"])
ITERATORS = frozenset(
    [
        "typing.Generator",
        "typing.Iterator",
        "typing.Iterable",
        "typing.AsyncGenerator",
        "typing.AsyncIterator",
        "typing.AsyncIterable",
        "collections.abc.Generator",
        "collections.abc.Iterator",
        "collections.abc.Iterable",
        "collections.abc.AsyncGenerator",
        "collections.abc.AsyncIterator",
        "collections.abc.AsyncIterable",
    ]
)
DEPENDS = frozenset(
    [
        "fastapi.Depends",
        "fastapi.Security",
        "fastapi.params.Depends",
        "fastapi.params.Security",
        "fastapi.param_functions.Depends",
        "fastapi.param_functions.Security",
    ]
)


#: the type of an instance of a class the tables do not know (``project:app.services.UserService``):
#: no table entry matches it; ``BlockingIndex`` looks its methods up in the project
PROJECT_TYPE = "project:"


@dataclass(slots=True)
class Callee:
    """What a call calls: an external qualified name, a method of a known type, or a local def."""

    kind: str  # "name" | "method" | "helper" | "class"
    name: str = ""  # qualified name ("name"), or the method name ("method")
    type: Type | None = None  # the receiver's type ("method"), the class ("class")
    helper: FunctionInfo | None = None

    @property
    def qualified(self) -> str:
        if self.kind == "method":
            owner = self.type.name if isinstance(self.type, ClassInfo) else self.type
            return f"{owner}.{self.name}"
        if self.kind == "helper" and self.helper is not None:
            return self.helper.qualname
        return self.name


class Resolver:
    """Answers name and type questions about one module; results are memoised."""

    def __init__(self, module: ModuleInfo) -> None:
        self.module = module
        self._local_types: dict[tuple[int, str], Type | None] = {}
        self._module_types: dict[str, Type | None] = {}
        self._returns: dict[int, Type | None] = {}
        self._module_callees: dict[tuple[str, ...], Callee | None] = {}  # see callee
        self._in_progress: set[object] = set()
        self._known_types = frozenset(tables.RETURNS.values())

    # -- names -------------------------------------------------------------------------------
    def is_bound_locally(self, name: str, fn: FunctionInfo | None) -> bool:
        while fn is not None:
            if name in fn.bound:
                return True
            fn = fn.parent
        return False

    def qualname(self, expr: ast.expr, fn: FunctionInfo | None = None) -> str | None:
        """The dotted name an expression refers to through imports, or None."""
        attrs: list[str] = []
        while isinstance(expr, ast.Attribute):
            attrs.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        name = expr.id
        if self.is_bound_locally(name, fn):
            return None
        module = self.module
        base = module.imports.get(name)
        if base is None:
            if name in module.assigns or name in module.functions or name in module.classes:
                return None
            base = name  # a builtin such as open
        if attrs:
            base = base + "." + ".".join(reversed(attrs))
        return tables.ALIASES.get(base, base)

    # -- functions ---------------------------------------------------------------------------
    def local_function(self, name: str, fn: FunctionInfo | None) -> FunctionInfo | None:
        """The def that ``name`` calls from inside ``fn``: a nested def or a module-level one."""
        scope = fn
        while scope is not None:
            found = scope.local_funcs.get(name)
            if found is not None:
                return found
            if name in scope.bound:
                return None
            scope = scope.parent
        if name in self.module.imports:
            return None
        return self.module.functions.get(name)

    def function_ref(self, expr: ast.expr, fn: FunctionInfo | None) -> FunctionInfo | None:
        """The local def an expression names (``get_db``, ``self.helper``, ``Cls.method``)."""
        if isinstance(expr, ast.Name):
            return self.local_function(expr.id, fn)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            owner = expr.value.id
            if owner in ("self", "cls") and fn is not None and fn.cls is not None:
                return fn.cls.methods.get(expr.attr)
            cls = self.module.classes.get(owner)
            if cls is not None and not self.is_bound_locally(owner, fn):
                return cls.methods.get(expr.attr)
        return None

    def callee(self, call: ast.Call, fn: FunctionInfo | None) -> Callee | None:
        """What ``call`` calls.  A callee spelt ``name`` or ``name.attr...`` with ``name`` not
        bound in ``fn`` (nor in the functions around it) means the same in every function of the
        module: it is worked out once (``log.info``, ``json.dumps``, ``Chats.get_chat``)."""
        func = call.func
        parts: list[str] = []
        root = func
        while type(root) is ast.Attribute:
            parts.append(root.attr)  # type: ignore[attr-defined]
            root = root.value  # type: ignore[attr-defined]
        if type(root) is not ast.Name:
            return self._callee(call, fn)
        name = root.id  # type: ignore[attr-defined]
        if name == "self" or name == "cls" or self.is_bound_locally(name, fn):
            return self._callee(call, fn)
        parts.append(name)
        key = tuple(parts)
        if key in self._module_callees:
            return self._module_callees[key]
        found = self._module_callees[key] = self._callee(call, fn)
        return found

    def _callee(self, call: ast.Call, fn: FunctionInfo | None) -> Callee | None:
        func = call.func
        if isinstance(func, ast.Name):
            name = func.id
            helper = self.local_function(name, fn)
            if helper is not None:
                return Callee("helper", helper=helper)
            if self.is_bound_locally(name, fn):
                tp = self.local_type(fn, name)
                return Callee("method", "__call__", tp) if tp is not None else None
            module = self.module
            cls = module.classes.get(name)
            if cls is not None and name not in module.imports:
                return Callee("class", type=cls)
            if name in module.assigns and name not in module.imports:
                tp = self.module_type(name)
                return Callee("method", "__call__", tp) if tp is not None else None
            q = self.qualname(func, fn)
            return Callee("name", q) if q is not None else None
        if isinstance(func, ast.Attribute):
            helper = self.function_ref(func, fn)
            if helper is not None:
                return Callee("helper", helper=helper)
            tp = self.type_of(func.value, fn)
            if tp is not None:
                if isinstance(tp, ClassInfo):
                    method = tp.methods.get(func.attr)
                    return Callee("helper", helper=method) if method is not None else None
                return Callee("method", func.attr, tp)
            q = self.qualname(func, fn)
            return Callee("name", q) if q is not None else None
        return None

    # -- types -------------------------------------------------------------------------------
    def call_result(self, callee: Callee | None, call: ast.Call, fn: FunctionInfo | None) -> Type | None:
        if callee is None:
            return None
        if callee.kind == "class":
            return callee.type
        if callee.kind == "helper":
            return self.return_type(callee.helper) if callee.helper is not None else None
        if callee.kind == "method":
            if isinstance(callee.type, ClassInfo):
                return None
            exact = tables.RETURNS.get(f"{callee.type}.{callee.name}")
            return exact if exact is not None else tables.RETURNS.get(f"{callee.type}.*")
        name = callee.name
        if name == "next" and call.args:
            # next(get_db()) on a local generator: the type it yields
            inner = call.args[0]
            if isinstance(inner, ast.Call):
                ref = self.function_ref(inner.func, fn)
                if ref is not None:
                    return self.return_type(ref)
            return None
        known = tables.RETURNS.get(name)
        if known is None and name.rpartition(".")[2][:1].isupper() and "." in name:
            # ``UserService(db)``: an instance of a class imported from elsewhere, maybe of the
            # project; a type no table knows (the project index resolves its methods)
            return PROJECT_TYPE + name
        return known

    def type_of(self, expr: ast.expr, fn: FunctionInfo | None) -> Type | None:
        tp = type(expr)
        if tp is ast.Call:
            return self.call_result(self.callee(expr, fn), expr, fn)  # type: ignore[arg-type]
        if tp is ast.Name:
            name = expr.id  # type: ignore[attr-defined]
            if self.is_bound_locally(name, fn):
                return self._scoped_type(fn, name)
            if name in self.module.assigns or name in self.module.annotations:
                return self.module_type(name)
            return None
        if tp is ast.Attribute:
            value = expr.value  # type: ignore[attr-defined]
            attr = expr.attr  # type: ignore[attr-defined]
            if (
                isinstance(value, ast.Name)
                and value.id == "self"
                and fn is not None
                and fn.cls is not None
            ):
                return self.class_attr_type(fn.cls, attr)
            owner = self.type_of(value, fn)
            if owner is None:
                return None
            if isinstance(owner, ClassInfo):
                return self.class_attr_type(owner, attr)
            exact = tables.ATTRIBUTES.get(f"{owner}.{attr}")
            return exact if exact is not None else tables.ATTRIBUTES.get(f"{owner}.*")
        if tp is ast.Subscript:
            owner = self.type_of(expr.value, fn)  # type: ignore[attr-defined]
            if isinstance(owner, str):
                return tables.ATTRIBUTES.get(f"{owner}[]")
            return None
        if tp is ast.BinOp and isinstance(expr.op, ast.Div):  # type: ignore[attr-defined]
            left = self.type_of(expr.left, fn)  # type: ignore[attr-defined]
            return left if isinstance(left, str) and left in tables.DIVISIBLE else None
        return None

    def _scoped_type(self, fn: FunctionInfo | None, name: str) -> Type | None:
        while fn is not None:
            if name in fn.bound:
                return self.local_type(fn, name)
            fn = fn.parent
        return None

    def _guarded(self, key: object, compute):  # type: ignore[no-untyped-def]
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            return compute()
        finally:
            self._in_progress.discard(key)

    def _common_type(self, values: list[ast.expr], fn: FunctionInfo | None) -> Type | None:
        result: Type | None = None
        for value in values:
            tp = self.type_of(value, fn)
            if tp is None or (result is not None and tp is not result and tp != result):
                return None
            result = tp
        return result

    def local_type(self, fn: FunctionInfo | None, name: str) -> Type | None:
        if fn is None:
            return None
        key = (id(fn), name)
        if key in self._local_types:
            return self._local_types[key]
        result = self._guarded(key, lambda: self._compute_local_type(fn, name))
        self._local_types[key] = result
        return result

    def _compute_local_type(self, fn: FunctionInfo, name: str) -> Type | None:
        param = self._parameter(fn, name)
        if param is not None:
            arg, default = param
            if arg.annotation is not None:
                tp = self.annotation_type(arg.annotation, fn.parent)
                if tp is not None:
                    return tp
            if default is not None:
                return self.dependency_type(default, fn.parent)
            return None
        annotation = fn.annotations.get(name)
        if annotation is not None:
            tp = self.annotation_type(annotation, fn.parent)
            if tp is not None:
                return tp
        values = fn.assigns.get(name)
        return self._common_type(values, fn) if values else None

    @staticmethod
    def _parameter(fn: FunctionInfo, name: str) -> tuple[ast.arg, ast.expr | None] | None:
        args = fn.node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in zip(positional, defaults):
            if arg.arg == name:
                return arg, default
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if arg.arg == name:
                return arg, default
        return None

    def module_type(self, name: str) -> Type | None:
        if name in self._module_types:
            return self._module_types[name]
        result = self._guarded(("module", name), lambda: self._compute_module_type(name))
        self._module_types[name] = result
        return result

    def _compute_module_type(self, name: str) -> Type | None:
        annotation = self.module.annotations.get(name)
        if annotation is not None:
            tp = self.annotation_type(annotation, None)
            if tp is not None:
                return tp
        values = self.module.assigns.get(name)
        return self._common_type(values, None) if values else None

    def class_attr_type(self, cls: ClassInfo, attr: str) -> Type | None:
        key = (id(cls), attr)
        if key in self._local_types:
            return self._local_types[key]

        def compute() -> Type | None:
            annotation = cls.annotations.get(attr)
            if annotation is not None:
                tp = self.annotation_type(annotation, None)
                if tp is not None:
                    return tp
            values = cls.attr_assigns.get(attr)
            if not values:
                return None
            init = cls.methods.get("__init__")
            return self._common_type(values, init)

        result = self._guarded(key, compute)
        self._local_types[key] = result
        return result

    def dependency_type(self, default: ast.expr, fn: FunctionInfo | None) -> Type | None:
        """The type a ``Depends(get_x)`` default injects: what ``get_x`` yields or returns."""
        if not isinstance(default, ast.Call) or not default.args and not default.keywords:
            return None
        if self.qualname(default.func, fn) not in DEPENDS:
            return None
        target = default.args[0] if default.args else next(
            (kw.value for kw in default.keywords if kw.arg == "dependency"), None
        )
        if target is None:
            return None
        ref = self.function_ref(target, fn)
        if ref is not None:
            return self.return_type(ref)
        q = self.qualname(target, fn)
        return tables.RETURNS.get(q) if q is not None else None

    def return_type(self, fn: FunctionInfo) -> Type | None:
        """What calling ``fn`` gives: its annotation, else what it returns (or yields)."""
        key = id(fn)
        if key in self._returns:
            return self._returns[key]

        def compute() -> Type | None:
            if fn.node.returns is not None:
                tp = self.annotation_type(fn.node.returns, fn.parent, unwrap_iterators=True)
                if tp is not None:
                    return tp
            values = fn.yields if fn.is_generator else fn.returns
            return self._common_type(values, fn) if values else None

        result = self._guarded(("return", key), compute)
        self._returns[key] = result
        return result

    def annotation_type(self, annotation: ast.expr, fn: FunctionInfo | None,
                        unwrap_iterators: bool = False, depth: int = 0) -> Type | None:
        if depth > 8:
            return None
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                parsed = ast.parse(annotation.value.strip(), mode="eval").body
            except (SyntaxError, ValueError):
                return None
            return self.annotation_type(parsed, fn, unwrap_iterators, depth + 1)
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return self.annotation_type(annotation.left, fn, unwrap_iterators, depth + 1) or \
                self.annotation_type(annotation.right, fn, unwrap_iterators, depth + 1)
        if isinstance(annotation, ast.Subscript):
            base = self.qualname(annotation.value, fn)
            inner = annotation.slice
            elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if base in ANNOTATED and elts:
                tp = self.annotation_type(elts[0], fn, unwrap_iterators, depth + 1)
                if tp is None:
                    for meta in elts[1:]:
                        tp = self.dependency_type(meta, fn)
                        if tp is not None:
                            break
                return tp
            if base in OPTIONAL or base in UNION:
                for elt in elts:
                    tp = self.annotation_type(elt, fn, unwrap_iterators, depth + 1)
                    if tp is not None:
                        return tp
                return None
            if unwrap_iterators and base in ITERATORS and elts:
                return self.annotation_type(elts[0], fn, False, depth + 1)
            if base in self._known_types:  # a known generic type: ``subprocess.Popen[str]``
                return base
            return None
        if isinstance(annotation, ast.Name):
            name = annotation.id
            module = self.module
            if name in module.classes and name not in module.imports:
                return module.classes[name]
            if name not in module.imports and name in module.assigns:
                values = module.assigns[name]
                if len(values) == 1:  # SessionDep = Annotated[Session, Depends(get_db)]
                    return self.annotation_type(values[0], None, unwrap_iterators, depth + 1)
                return None
        if isinstance(annotation, (ast.Name, ast.Attribute)):
            q = self.qualname(annotation, fn)
            if q is not None and q in self._known_types:
                return q
        return None


def is_depends(resolver: Resolver, call: ast.Call, fn: FunctionInfo | None) -> bool:
    return resolver.qualname(call.func, fn) in DEPENDS
