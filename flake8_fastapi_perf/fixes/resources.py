"""Fixes for FPF401 and FPF402: dependencies that hand out a resource close it in a ``finally``.

Only the unambiguous shapes are fixed: a single ``return`` of the resource as the last statement
of the dependency (FPF401), a single ``yield`` statement in the function body followed by the
cleanup statements (FPF402).  Anything else stays as it is.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterable, Mapping

import libcst as cst
from libcst.metadata import FunctionScope, Scope, ScopeProvider

from ..analysis.scope import FunctionInfo
from ..data import resources as tables
from ..diagnostics import Diagnostic
from ..rules.resources import _is_cached, _qualname, _Types
from . import fixer
from .engine import FixContext, Replacement

# -- helpers shared with fixes/state.py -----------------------------------------------------------

_SCOPES: weakref.WeakKeyDictionary[FixContext, Mapping[cst.CSTNode, Scope | None]] = weakref.WeakKeyDictionary()
_NAMES: weakref.WeakKeyDictionary[FixContext, dict[cst.CSTNode, frozenset[str]]] = weakref.WeakKeyDictionary()
#: Where new names are looked for (the first free one is taken).
_MAX_SUFFIX = 20


def scopes(ctx: FixContext) -> Mapping[cst.CSTNode, Scope | None]:
    """LibCST scopes of the file (computed once per context)."""
    found = _SCOPES.get(ctx)
    if found is None:
        found = ctx.wrapper.resolve(ScopeProvider)
        _SCOPES[ctx] = found
    return found


class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def names_under(nodes: Iterable[cst.CSTNode]) -> set[str]:
    collector = _NameCollector()
    for node in nodes:
        node.visit(collector)
    return collector.names


def names_in(ctx: FixContext, node: cst.CSTNode) -> frozenset[str]:
    """Every identifier used anywhere under ``node`` (nested scopes included)."""
    cache = _NAMES.setdefault(ctx, {})
    found = cache.get(node)
    if found is None:
        collector = _NameCollector()
        node.visit(collector)
        found = frozenset(collector.names)
        cache[node] = found
    return found


def fresh_name(base: str, taken: Iterable[str] | frozenset[str]) -> str:
    taken = set(taken)
    if base not in taken:
        return base
    for index in range(1, _MAX_SUFFIX):
        candidate = f"{base}_{index}"
        if candidate not in taken:
            return candidate
    return ""


def dotted(expr: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def asname(alias: cst.ImportAlias) -> str | None:
    """``y`` of ``import x as y``."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def function_info(ctx: FixContext, function: cst.FunctionDef) -> FunctionInfo | None:
    """The ``ast`` analysis of the same function."""
    line = ctx.positions[function].start.line
    for fn in ctx.ast.module.all_functions:
        if fn.node.lineno == line and fn.node.name == function.name.value:
            return fn
    return None


class _OwnNodes(cst.CSTVisitor):
    """Nodes of one function body, not entering nested functions, classes and lambdas."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda))


def own_nodes(nodes: Iterable[cst.CSTNode]) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    for node in nodes:
        visitor = _OwnNodes()
        node.visit(visitor)
        found.extend(visitor.nodes)
    return found


def _without_leading_blank_lines(stmt: cst.BaseStatement) -> cst.BaseStatement:
    lines = list(stmt.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return stmt.with_changes(leading_lines=lines)


# -- FPF401 --------------------------------------------------------------------------------------

#: What closes what a factory returns: qualified name -> (method, awaited).  Factories missing
#: here (aiomysql, redis.asyncio, aioredis: their close differs between versions) are not fixed.
_CLOSE: dict[str, tuple[str, bool]] = {
    "sqlalchemy.orm.Session": ("close", False),
    "sqlalchemy.ext.asyncio.AsyncSession": ("close", True),
    "sqlite3.connect": ("close", False),
    "psycopg2.connect": ("close", False),
    "psycopg.connect": ("close", False),
    "psycopg.Connection.connect": ("close", False),
    "psycopg.AsyncConnection.connect": ("close", True),
    "pymysql.connect": ("close", False),
    "MySQLdb.connect": ("close", False),
    "mysql.connector.connect": ("close", False),
    "asyncpg.connect": ("close", True),
    "aiosqlite.connect": ("close", True),
    "duckdb.connect": ("close", False),
    "httpx.Client": ("close", False),
    "httpx.AsyncClient": ("aclose", True),
    "aiohttp.ClientSession": ("close", True),
    "requests.Session": ("close", False),
    "requests.session": ("close", False),
    "redis.Redis": ("close", False),
    "redis.from_url": ("close", False),
    "redis.Redis.from_url": ("close", False),
    "open": ("close", False),
    "io.open": ("close", False),
    "codecs.open": ("close", False),
    "tempfile.NamedTemporaryFile": ("close", False),
    "tempfile.TemporaryFile": ("close", False),
    "tempfile.SpooledTemporaryFile": ("close", False),
    # sessionmaker()/engine.connect(): "<type>.<method>"
    "sqlalchemy.orm.sessionmaker.__call__": ("close", False),
    "sqlalchemy.ext.asyncio.async_sessionmaker.__call__": ("close", True),
    "sqlalchemy.engine.Engine.connect": ("close", False),
    "sqlalchemy.ext.asyncio.AsyncEngine.connect": ("close", True),
}

#: Names for the variable that holds what ``return Factory()`` returned, by the factory's name.
_VARIABLE_NAMES = (("session", "session"), ("connect", "conn"), ("client", "client"), ("redis", "client"),
                   ("open", "file"), ("file", "file"))


def _factory_call(
    types: _Types, fn: FunctionInfo, value: ast.expr, depth: int = 0
) -> tuple[ast.Call, FunctionInfo] | None:
    """The call that made the resource ``value`` is (following one-assignment names and helpers
    with a single return), with the function it is in."""
    if depth > 4:
        return None
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Call):
        if types.opened(value, fn) is not None:
            return value, fn
        helper = types.resolver.function_ref(value.func, fn)
        if (
            helper is not None
            and helper is not fn
            and not helper.is_generator
            and not _is_cached(types.resolver, helper)
            and len(helper.returns) == 1
        ):
            return _factory_call(types, helper, helper.returns[0], depth + 1)
        return None
    if isinstance(value, ast.Name):
        values = fn.assigns.get(value.id, [])
        if len(values) == 1:
            return _factory_call(types, fn, values[0], depth + 1)
    return None


def _close_of(types: _Types, call: ast.Call, fn: FunctionInfo) -> tuple[str, bool] | None:
    """(method, awaited) that closes what ``call`` returns, or None when unsure."""
    func = call.func
    q = _qualname(types.resolver, func, fn)
    if q is not None and q in _CLOSE:
        return _CLOSE[q]
    if isinstance(func, ast.Name):
        tp = types.maker_type(func, fn)
        if tp is not None:
            return _CLOSE.get(f"{tp}.__call__")
    elif isinstance(func, ast.Attribute):
        tp = types.maker_type(func.value, fn)
        if tp is not None:
            return _CLOSE.get(f"{tp}.{func.attr}")
    else:
        return None
    # an imported sessionmaker known by its conventional name (SessionLocal, AsyncSessionLocal)
    # (not `async_session`: as often an @asynccontextmanager, which has no close())
    if not call.args and types.conventional_factory(func, fn, tables.SESSION_FACTORY_NAMES):
        name = func.id if isinstance(func, ast.Name) else func.attr
        target = types.module.imports.get(name, name) if isinstance(func, ast.Name) else name
        return ("close", "async" in target.rpartition(".")[2].lower())
    return None


def _variable_for(call: ast.Call) -> str:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    lowered = name.lower()
    for word, variable in _VARIABLE_NAMES:
        if word in lowered:
            return variable
    return "resource"


def _returns_in(function: cst.FunctionDef) -> list[cst.CSTNode]:
    return [n for n in own_nodes([function.body]) if isinstance(n, (cst.Return, cst.Yield))]


def _called_directly(ctx: FixContext, name: str) -> bool:
    """``name(...)`` or ``x.name(...)`` anywhere in the module: a caller that wants the value."""

    class Calls(cst.CSTVisitor):
        found = False

        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if (isinstance(func, cst.Name) and func.value == name) or (
                isinstance(func, cst.Attribute) and func.attr.value == name
            ):
                self.found = True

    visitor = Calls()
    ctx.module.visit(visitor)
    return visitor.found


def _iterator_annotation(ctx: FixContext, annotation: cst.Annotation, is_async: bool) -> cst.Annotation | None:
    name = "AsyncIterator" if is_async else "Iterator"
    spelling = ctx.spelling((f"collections.abc.{name}", f"typing.{name}"), annotation, add=(("collections.abc", name),))
    if spelling is None:
        return None  # something else is called Iterator here
    inner = annotation.annotation
    new = cst.Subscript(value=cst.parse_expression(spelling), slice=[cst.SubscriptElement(slice=cst.Index(value=inner))])
    return annotation.with_changes(annotation=new)


@fixer("FPF401", "unsafe")
def yield_resource(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``x = Factory(); return x`` -> ``x = Factory()`` / ``try: yield x`` / ``finally: x.close()``."""
    ret = ctx.node_at(diagnostic, cst.Return)
    if not isinstance(ret, cst.Return) or ret.value is None:
        return None
    line = ctx.parent(ret)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    block = ctx.parent(line)
    function = ctx.parent(block) if isinstance(block, cst.IndentedBlock) else None
    if not isinstance(function, cst.FunctionDef) or not isinstance(block, cst.IndentedBlock):
        return None
    if block.body[-1] is not line or function.decorators:
        return None
    if _returns_in(function) != [ret]:
        return None  # early returns, or already a generator
    if _called_directly(ctx, function.name.value):
        return None  # someone wants the value itself: a generator would break them
    fn = function_info(ctx, function)
    if fn is None or fn.is_generator or len(fn.returns) != 1:
        return None
    types = _Types(ctx.ast)
    found = _factory_call(types, fn, fn.returns[0])
    if found is None:
        return None
    close = _close_of(types, *found)
    if close is None:
        return None
    method, is_awaited = close
    is_async = function.asynchronous is not None
    if is_awaited and not is_async:
        return None

    value = ret.value
    before: list[cst.BaseStatement] = []
    leading = line.leading_lines
    trailing = line.trailing_whitespace
    if isinstance(value, cst.Name):
        own = scopes(ctx).get(ret)
        if not isinstance(own, FunctionScope) or len(own.assignments[value.value]) != 1:
            return None  # a parameter, or a name assigned twice: which object is it?
        params = function.params
        if any(p.name.value == value.value for p in (*params.params, *params.kwonly_params, *params.posonly_params)):
            return None
        variable = value.value
    else:
        variable = fresh_name(_variable_for(found[0]), names_in(ctx, function))
        if not variable:
            return None
        before.append(
            cst.SimpleStatementLine(
                body=[cst.Assign(targets=[cst.AssignTarget(target=cst.Name(variable))], value=value)],
                leading_lines=leading,
                trailing_whitespace=trailing,
            )
        )
        leading, trailing = [], cst.TrailingWhitespace()
    yield_line = cst.SimpleStatementLine(body=[cst.Expr(cst.Yield(value=cst.Name(variable)))], trailing_whitespace=trailing)
    close_text = f"{'await ' if is_awaited else ''}{variable}.{method}()"
    try_node = cst.Try(
        body=cst.IndentedBlock(body=[yield_line]),
        finalbody=cst.Finally(body=cst.IndentedBlock(body=[cst.parse_statement(close_text)])),
        leading_lines=leading,
    )
    replacements = [Replacement(line, cst.FlattenSentinel([*before, try_node]))]
    if function.returns is not None:
        annotation = _iterator_annotation(ctx, function.returns, is_async)
        if annotation is None:
            return None
        replacements.append(Replacement(function.returns, annotation))
    return replacements


# -- FPF402 --------------------------------------------------------------------------------------


def _cleanup_call(call: cst.BaseExpression) -> bool:
    """``x.close()``, ``x.aclose()``, ``lock.release()``, ``os.remove(p)``, ``shutil.rmtree(p)``:
    the rule's notion of cleanup."""
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return False
    func = call.func
    attr = func.attr.value
    if attr in tables.CLOSE_METHODS and not (attr in tables.CLOSE_METHODS_WITHOUT_ARGS and call.args):
        return True
    return isinstance(func.value, cst.Name) and f"{func.value.value}.{attr}" in tables.CLEANUP_CALLS


def _cleanup_statement(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if not isinstance(small, cst.Expr):
        return False
    value = small.value
    if isinstance(value, cst.Await):
        value = value.expression
    return _cleanup_call(value)


def _contains_cleanup(stmts: Iterable[cst.CSTNode]) -> bool:
    return any(isinstance(n, cst.Call) and _cleanup_call(n) for n in own_nodes(stmts))


class _Bound(cst.CSTVisitor):
    """Names bound by some statements (their own scope only)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def _targets(self, node: cst.CSTNode | None) -> None:
        if node is not None:
            for sub in own_nodes([node]):
                if isinstance(sub, cst.Name):
                    self.names.add(sub.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._targets(node.name)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._targets(node.target)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:
            self._targets(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._targets(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.add(node.name.value)
        return False


def _bound_by(stmts: Iterable[cst.CSTNode]) -> set[str]:
    visitor = _Bound()
    for stmt in stmts:
        stmt.visit(visitor)
    return visitor.names


_JUMPS = (cst.Return, cst.Break, cst.Continue, cst.Yield)


@fixer("FPF402", "safe")
def cleanup_in_finally(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``yield x`` / ``x.close()`` -> ``try: yield x`` / ``finally: x.close()``."""
    node = ctx.node_at(diagnostic, cst.Yield)
    if not isinstance(node, cst.Yield) or node.lpar:
        return None
    expr = ctx.parent(node)
    line = ctx.parent(expr) if isinstance(expr, cst.Expr) else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    block = ctx.parent(line)
    function = ctx.parent(block) if isinstance(block, cst.IndentedBlock) else None
    if not isinstance(function, cst.FunctionDef) or not isinstance(block, cst.IndentedBlock):
        return None
    if [n for n in own_nodes([function.body]) if isinstance(n, (cst.Yield, cst.Return))] != [node]:
        return None  # several yields, or a return: not the simple shape
    body = list(block.body)
    after = body[body.index(line) + 1 :]
    first = next((i for i, stmt in enumerate(after) if _cleanup_statement(stmt)), None)
    if first is None:
        return None
    last = first
    while last + 1 < len(after) and _cleanup_statement(after[last + 1]):
        last += 1
    normal, cleanup, rest = after[:first], after[first : last + 1], after[last + 1 :]
    if _contains_cleanup(normal) or _contains_cleanup(rest):
        return None  # cleanup spread over several places: which belongs in the finally?
    if any(isinstance(n, _JUMPS) for n in own_nodes(normal)):
        return None  # an early exit would now run the cleanup on the normal path
    if names_under(cleanup) & _bound_by(normal):
        return None  # the cleanup uses a name the skipped statements would have bound
    try_node = cst.Try(
        body=cst.IndentedBlock(body=[line.with_changes(leading_lines=[]), *normal]),
        finalbody=cst.Finally(body=cst.IndentedBlock(body=[_without_leading_blank_lines(cleanup[0]), *cleanup[1:]])),
        leading_lines=line.leading_lines,
    )
    replacements = [Replacement(line, try_node)]
    replacements.extend(Replacement(stmt, cst.RemoveFromParent()) for stmt in (*normal, *cleanup))
    return replacements
