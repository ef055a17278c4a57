"""Fixes for FPF1xx: move blocking work off the event loop.

- FPF101: ``time.sleep(x)`` -> ``await asyncio.sleep(x)`` (safe).
- FPF102-FPF107: ``f(a, k=v)`` -> ``await run_in_threadpool(f, a, k=v)`` (unsafe).  Calls that
  return an open file or archive are only fixed in shapes where the whole I/O can move:
  ``with open(p) as fh: x = fh.read()`` and ``open(p).read()`` become
  ``await run_in_threadpool(Path(p).read_text)`` (``read_bytes``/``write_text``/``write_bytes``
  likewise).  Lazy iterators (``Path.glob``, ``os.walk`` ...) are only fixed when a ``list()``/
  ``sorted()``... consumes them on the spot.
- FPF110: drop ``async`` from a path operation or dependency that never awaits (unsafe), only
  when the module uses the function nowhere but in ``Depends``/route registrations.

Everything else stays unfixed: a call in a lambda, a generator expression, a class body, a
decorator or default of a nested def, the context expression of a ``with``, a call under a
``with ...lock...`` block.
"""

from __future__ import annotations

import ast

import libcst as cst
import libcst.matchers as m

from ..analysis.calls import reported
from ..analysis.fastapi import ROUTE_CLASSES, ROUTE_DECORATORS, ROUTE_METHODS
from ..analysis.names import DEPENDS
from ..analysis.scope import FunctionInfo, walk_function
from ..diagnostics import Diagnostic
from . import fixer
from .engine import FixContext, Replacement
from .middleware import awaited


@fixer("FPF101", "safe")
def sleep(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``time.sleep(x)`` -> ``await asyncio.sleep(x)``."""
    call = ctx.node_at(diagnostic, cst.Call)
    if not isinstance(call, cst.Call) or isinstance(ctx.parent(call), cst.Await):
        return None
    if not ctx.await_allowed(call):
        return None  # a lambda, a generator expression, a sync def, under a lock ...
    spelling = ctx.spelling("asyncio.sleep", call, add=(("asyncio", None),))
    if spelling is None:
        return None  # `asyncio` (or `sleep`) means something else here
    new_call = call.with_changes(func=cst.parse_expression(spelling))
    ctx.drop_imports_of(call.func)
    node = awaited(ctx, call)  # parenthesised where the original call's parent needs it
    return [Replacement(call, node.with_changes(expression=new_call))]


# -- shared helpers -----------------------------------------------------------------------------

_THREADPOOL = ("fastapi.concurrency.run_in_threadpool", "starlette.concurrency.run_in_threadpool")

#: Calls that hand back an open file or archive: wrapping only the call would leave the reads and
#: writes on the loop (and silence the finding), so only the read/write shapes are fixed.
_OPENERS = frozenset(
    ["open", "io.open", "codecs.open", "pathlib.Path.open", "zipfile.ZipFile", "tarfile.open", "os.popen"]
)
#: Calls that return a lazy iterator: the I/O happens while it is consumed.
_LAZY = frozenset(
    ["pathlib.Path.iterdir", "pathlib.Path.glob", "pathlib.Path.rglob", "pathlib.Path.walk",
     "os.walk", "os.scandir", "glob.iglob"]
)
#: Builtins that consume an iterable on the spot.
_CONSUMERS = frozenset(["list", "sorted", "tuple", "set", "frozenset"])
#: Functions whose result is a str when an argument is one.
_STR_FUNCTIONS = frozenset(
    ["os.path.join", "os.path.abspath", "os.path.realpath", "os.path.normpath", "os.path.expanduser",
     "os.path.expandvars", "os.path.dirname", "os.path.basename", "os.path.relpath"]
)
#: Types of objects that must stay in the thread that created them (sqlite3's check_same_thread).
_THREAD_BOUND = frozenset(["dbapi.Connection", "dbapi.Cursor"])
_PATH_ANNOTATIONS = frozenset(["str", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"])


def _flagged(ctx: FixContext, diagnostic: Diagnostic) -> tuple[FunctionInfo, ast.Call] | None:
    """The async function and the ast call the diagnostic was reported for."""
    where = (diagnostic.line, diagnostic.col, diagnostic.end_line, diagnostic.end_col)
    for fn in ctx.ast.module.all_functions:
        if not fn.is_async:
            continue
        for call in fn.calls:
            if (call.lineno, call.col_offset, call.end_lineno, call.end_col_offset) == where:
                return fn, call
    return None


def _ast_spine(node: ast.expr) -> int:
    """How many calls ``node`` is made of along its ``func``/``value`` chain."""
    depth = 0
    while True:
        if isinstance(node, ast.Call):
            depth += 1
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return depth


def _cst_spine(node: cst.BaseExpression) -> int:
    depth = 0
    while True:
        if isinstance(node, cst.Call):
            depth += 1
            node = node.func
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            node = node.value
        else:
            return depth


def _cst_call(ctx: FixContext, diagnostic: Diagnostic, call: ast.Call) -> cst.Call | None:
    """The CST call of the ast ``call``: on the func/value chain that starts at the diagnostic,
    the one with as many calls in it (positions differ when the call is parenthesised)."""
    want = _ast_spine(call)
    for start in ctx.nodes_at(diagnostic):
        node: cst.CSTNode | None = start
        while node is not None:
            if isinstance(node, cst.Call) and _cst_spine(node) == want:
                return node
            parent = ctx.parent(node)
            on_chain = (isinstance(parent, cst.Call) and parent.func is node) or (
                isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is node
            )
            node = parent if on_chain else None
    return None


def _same_function(ctx: FixContext, function: cst.FunctionDef, fn: FunctionInfo) -> bool:
    where = ctx.positions.get(function)
    return where is not None and (where.start.line, where.start.column) == (
        fn.node.lineno,
        ctx.char_col(fn.node.lineno, fn.node.col_offset),
    )


def _await_allowed(ctx: FixContext, node: cst.CSTNode, fn: FunctionInfo) -> bool:
    """``await`` may take the place of ``node`` (:meth:`FixContext.await_allowed`), in the body of
    ``fn``'s coroutine itself."""
    function = ctx.enclosing_function(node)
    return function is not None and ctx.await_allowed(node) and _same_function(ctx, function, fn)


def _threadpool(ctx: FixContext, at: cst.CSTNode) -> str | None:
    """How to spell ``run_in_threadpool`` at ``at`` (importing it if needed), or None.  A module
    that imports neither FastAPI nor Starlette gets ``asyncio.to_thread`` (same calling convention)."""
    imports = ctx.ast.module.imports.values()
    if not any(q.startswith(("fastapi", "starlette")) for q in imports):
        return ctx.spelling("asyncio.to_thread", at, add=(("asyncio", None),))
    return ctx.spelling(_THREADPOOL, at, add=((ctx.threadpool_module(), "run_in_threadpool"),))


def _pathlib_path(ctx: FixContext, at: cst.CSTNode) -> str | None:
    """How to spell ``pathlib.Path`` at ``at`` (importing it if needed), or None."""
    return ctx.spelling("pathlib.Path", at, add=(("pathlib", "Path"), ("pathlib", None)))


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _bare(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[], rpar=[]) if getattr(node, "lpar", None) else node


def _awaited_call(ctx: FixContext, old: cst.BaseExpression, new_call: cst.Call) -> cst.Await:
    """``await new_call`` in the place of ``old`` (keeping ``old``'s own parentheses)."""
    lpar = getattr(old, "lpar", ())
    if lpar:
        return cst.Await(expression=new_call, lpar=lpar, rpar=old.rpar)  # type: ignore[attr-defined]
    return awaited(ctx, old).with_changes(expression=new_call)


def _offloaded_call(spelling: str, call: cst.Call) -> cst.Call:
    """``run_in_threadpool(f, a, k=v)`` from ``f(a, k=v)``, keeping the arguments' layout."""
    before = call.whitespace_before_args
    if isinstance(before, cst.ParenthesizedWhitespace):
        # multi-line call: the function goes on its own line, indented like the arguments
        after = cst.ParenthesizedWhitespace(indent=before.indent, last_line=before.last_line)
        first = cst.Arg(value=call.func, comma=cst.Comma(whitespace_after=after))
    else:
        first = cst.Arg(value=call.func, comma=_comma()) if call.args else cst.Arg(value=call.func)
    return cst.Call(
        func=cst.parse_expression(spelling),
        args=[first, *call.args],
        whitespace_before_args=before,
    )


# -- FPF102-FPF107: offload the call ------------------------------------------------------------

@fixer("FPF102", "unsafe")
@fixer("FPF103", "unsafe")
@fixer("FPF104", "unsafe")
@fixer("FPF105", "unsafe")
@fixer("FPF106", "unsafe")
@fixer("FPF107", "unsafe")
def offload(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``f(a, k=v)`` -> ``await run_in_threadpool(f, a, k=v)``."""
    found = _flagged(ctx, diagnostic)
    if found is None:
        return None
    fn, ast_call = found
    call = _cst_call(ctx, diagnostic, ast_call)
    if call is None or isinstance(ctx.parent(call), cst.Await):
        return None
    if not _await_allowed(ctx, call, fn):
        return None
    if isinstance(ctx.parent(call), cst.WithItem):
        # ``with open(p) as fh:`` -- only the read/write shapes move as a whole
        return _open_shape(ctx, fn, ast_call, call) if _qualified(ctx, fn, ast_call) in _OPENERS else None
    qualified = _qualified(ctx, fn, ast_call)
    if qualified in _OPENERS:
        return _open_shape(ctx, fn, ast_call, call)
    if qualified in _LAZY:
        return _consumed(ctx, fn, call)
    if _thread_bound(ctx, fn, ast_call):
        return None
    if _blocking_receiver(ctx, fn, ast_call):
        # sqlite3.connect(p).execute(q): the whole chain goes to the threadpool at once
        return _in_lambda(ctx, fn, call)
    if any(isinstance(a.keyword, cst.Name) and a.keyword.value == "func" for a in call.args):
        return None  # would collide with run_in_threadpool's own parameter
    spelling = _threadpool(ctx, call)
    if spelling is None:
        return None
    return [Replacement(call, _awaited_call(ctx, call, _offloaded_call(spelling, call)))]


def _thread_bound(ctx: FixContext, fn: FunctionInfo, call: ast.Call) -> bool:
    """A DB-API object would cross threads: ``sqlite3`` refuses to be used from another thread
    than the one that created it (and the type does not tell sqlite3 from other drivers).  Only a
    whole chain from the ``connect()`` to a plain result may move (``connect(p).execute(q).fetchall()``)."""
    resolver = ctx.ast.resolver
    if resolver.type_of(call, fn) in _THREAD_BOUND:
        return True  # the connection or cursor would come back to the loop's thread
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if receiver is None or resolver.type_of(receiver, fn) not in _THREAD_BOUND:
        return False
    node: ast.expr = receiver
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call):
            callee = resolver.callee(node, fn)
            if callee is not None and callee.kind == "name" and resolver.type_of(node, fn) in _THREAD_BOUND:
                return False  # created in the same chain: it all moves into one lambda
            node = node.func
        else:
            node = node.value
    return True


def _blocking_receiver(ctx: FixContext, fn: FunctionInfo, call: ast.Call) -> bool:
    """A call on the ``func``/``value`` chain of ``call`` blocks too."""
    node: ast.expr = call.func
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call):
            direct, helper = ctx.ast.blocking.classify(node, fn)
            if direct is not None or (helper is not None and reported(ctx.ast.blocking.chain(helper))):
                return True
            node = node.func
        else:
            node = node.value
    return False


def _in_lambda(ctx: FixContext, fn: FunctionInfo, node: cst.BaseExpression) -> list[Replacement] | None:
    """``await run_in_threadpool(lambda: <node>)`` in the place of ``node``."""
    if m.findall(node, m.Await() | m.Yield() | m.NamedExpr()):
        return None  # cannot go into a lambda
    spelling = _threadpool(ctx, node)
    if spelling is None:
        return None
    lambda_ = cst.Lambda(params=cst.Parameters(), body=_bare(node))
    new_call = cst.Call(func=cst.parse_expression(spelling), args=[cst.Arg(value=lambda_)])
    return [Replacement(node, _awaited_call(ctx, node, new_call))]


def _qualified(ctx: FixContext, fn: FunctionInfo, call: ast.Call) -> str | None:
    direct, _helper = ctx.ast.blocking.classify(call, fn)
    return direct.name[:-2] if direct is not None else None


def _consumed(ctx: FixContext, fn: FunctionInfo, call: cst.Call) -> list[Replacement] | None:
    """``sorted(p.glob("*"))`` -> ``await run_in_threadpool(lambda: sorted(p.glob("*")))``."""
    arg = ctx.parent(call)
    outer = ctx.parent(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(outer, cst.Call) or not isinstance(outer.func, cst.Name):
        return None
    if outer.func.value not in _CONSUMERS or arg.keyword is not None or arg.star:  # type: ignore[union-attr]
        return None
    if not ctx.builtin(outer.func.value) or isinstance(ctx.parent(outer), cst.Await):
        return None
    if not _await_allowed(ctx, outer, fn):
        return None
    return _in_lambda(ctx, fn, outer)


# -- open(): read or write the whole file in the threadpool ---------------------------------------

def _str_or_path(ctx: FixContext, fn: FunctionInfo, expr: ast.expr, depth: int = 0) -> str | None:
    """``"path"`` when ``expr`` is a ``pathlib.Path``, ``"str"`` when it is evidently a str,
    else None (it might be a file descriptor or bytes, which ``Path()`` does not take)."""
    if depth > 4:
        return None
    resolver = ctx.ast.resolver
    if resolver.type_of(expr, fn) == "pathlib.Path":
        return "path"
    if isinstance(expr, ast.Constant):
        return "str" if isinstance(expr.value, str) else None
    if isinstance(expr, ast.JoinedStr):
        return "str"
    if isinstance(expr, ast.BinOp):
        if isinstance(expr.op, ast.Add) and (
            _str_or_path(ctx, fn, expr.left, depth + 1) == "str"
            or _str_or_path(ctx, fn, expr.right, depth + 1) == "str"
        ):
            return "str"
        if isinstance(expr.op, ast.Mod) and _str_or_path(ctx, fn, expr.left, depth + 1) == "str":
            return "str"
        return None
    if isinstance(expr, ast.Call):
        q = resolver.qualname(expr.func, fn)
        if q == "str":
            return "str"
        if q in _STR_FUNCTIONS and any(_str_or_path(ctx, fn, a, depth + 1) for a in expr.args):
            return "str"
        if (
            isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "format"
            and _str_or_path(ctx, fn, expr.func.value, depth + 1) == "str"
        ):
            return "str"
        return None
    if isinstance(expr, ast.Name):
        scope: FunctionInfo | None = fn
        while scope is not None and expr.id not in scope.bound:
            scope = scope.parent
        if scope is not None:
            for arg in (*scope.node.args.posonlyargs, *scope.node.args.args, *scope.node.args.kwonlyargs):
                if arg.arg == expr.id:
                    return _annotated_str(ctx, scope, arg.annotation)
            annotation = scope.annotations.get(expr.id)
            values = scope.assigns.get(expr.id)
            owner: FunctionInfo | None = scope
        else:
            if expr.id in ctx.ast.module.imports:
                return None
            annotation = ctx.ast.module.annotations.get(expr.id)
            values = ctx.ast.module.assigns.get(expr.id)
            owner = None
        if annotation is not None and _annotated_str(ctx, owner, annotation):
            return "str"
        if not values:
            return None
        kinds = {_str_or_path(ctx, owner or fn, v, depth + 1) for v in values}
        return "str" if None not in kinds else None  # str or Path: Path() takes both
    return None


def _annotated_str(ctx: FixContext, fn: FunctionInfo | None, annotation: ast.expr | None) -> str | None:
    if annotation is None:
        return None
    q = ctx.ast.resolver.qualname(annotation, fn.parent if fn is not None else None)
    return "str" if q in _PATH_ANNOTATIONS else None


def _mode(ctx: FixContext, fn: FunctionInfo, call: ast.Call, positional: list[ast.expr]) -> tuple[str, bool] | None:
    """(``"read"``/``"write"``, binary) from the mode argument, for plain modes only."""
    mode_expr = positional[0] if positional else None
    for kw in call.keywords:
        if kw.arg == "mode":
            mode_expr = kw.value
    if mode_expr is None:
        mode = "r"
    elif isinstance(mode_expr, ast.Constant) and isinstance(mode_expr.value, str):
        mode = mode_expr.value
    else:
        return None
    if len(set(mode)) != len(mode) or not set(mode) <= {"r", "w", "b", "t"} or {"b", "t"} <= set(mode):
        return None
    kinds = set(mode) & {"r", "w"}
    if len(kinds) != 1:
        return None
    return ("read" if "r" in kinds else "write"), "b" in mode


def _open_spec(
    ctx: FixContext, fn: FunctionInfo, ast_call: ast.Call, call: cst.Call
) -> tuple[str, bool, cst.BaseExpression, list[cst.Arg]] | None:
    """(``read``/``write``, binary, the Path expression, encoding/errors arguments) of a plain
    ``open(path[, mode], encoding=..., errors=...)`` or ``path.open([mode], ...)``."""
    qualified = _qualified(ctx, fn, ast_call)
    if any(isinstance(a, ast.Starred) for a in ast_call.args) or any(k.arg is None for k in ast_call.keywords):
        return None
    if qualified in ("open", "io.open"):
        if not ast_call.args or len(ast_call.args) > 2:
            return None
        path_ast, positional = ast_call.args[0], ast_call.args[1:]
        kind = _str_or_path(ctx, fn, path_ast)
        if kind is None:
            return None
        path_cst = call.args[0].value
        path: cst.BaseExpression | None = None
        if kind == "path":
            path = path_cst
        else:
            spelling = _pathlib_path(ctx, call)
            if spelling is None:
                return None
            path = cst.Call(func=cst.parse_expression(spelling), args=[cst.Arg(value=_bare(path_cst))])
    elif qualified == "pathlib.Path.open" and isinstance(call.func, cst.Attribute):
        if len(ast_call.args) > 1:
            return None
        positional = ast_call.args
        path = call.func.value
    else:
        return None
    if any(k.arg not in ("mode", "encoding", "errors") for k in ast_call.keywords):
        return None
    spec = _mode(ctx, fn, ast_call, positional)
    if spec is None:
        return None
    what, binary = spec
    extra = [
        cst.Arg(value=a.value, keyword=a.keyword, equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ))
        for a in call.args
        if isinstance(a.keyword, cst.Name) and a.keyword.value in ("encoding", "errors")
    ]
    if binary and extra:
        return None
    return what, binary, path, extra


def _method_ref(path: cst.BaseExpression, what: str, binary: bool) -> cst.Attribute:
    name = f"{what}_{'bytes' if binary else 'text'}"
    if not isinstance(path, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not getattr(path, "lpar", None):
        path = path.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Attribute(value=path, attr=cst.Name(name))


def _threadpool_call(spelling: str, args: list[cst.BaseExpression], extra: list[cst.Arg]) -> cst.Call:
    all_args = [cst.Arg(value=a) for a in args] + list(extra)
    return cst.Call(
        func=cst.parse_expression(spelling),
        args=[a.with_changes(comma=_comma()) for a in all_args[:-1]] + all_args[-1:],
    )


def _file_method(node: cst.CSTNode | None, receiver: cst.CSTNode | None, what: str) -> cst.Call | None:
    """``<receiver>.read()`` / ``<receiver>.write(x)``: the call, else None."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return None
    if node.func.attr.value != what:
        return None
    if receiver is not None and node.func.value is not receiver:
        return None
    if what == "read":
        return node if not node.args else None
    if len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
        return node
    return None


def _open_shape(ctx: FixContext, fn: FunctionInfo, ast_call: ast.Call, call: cst.Call) -> list[Replacement] | None:
    if m.findall(call, m.Comment()):
        return None  # the call is rewritten: its comments would be lost
    spec = _open_spec(ctx, fn, ast_call, call)
    if spec is None:
        return None
    what, binary, path, extra = spec
    parent = ctx.parent(call)
    if isinstance(parent, cst.WithItem):
        return _with_open(ctx, fn, parent, what, binary, path, extra)
    # open(p).read() / open(p, "w").write(x)
    method = _file_method(ctx.parent(parent) if isinstance(parent, cst.Attribute) else None, call, what)
    if method is None or isinstance(ctx.parent(method), cst.Await) or not _await_allowed(ctx, method, fn):
        return None
    spelling = _threadpool(ctx, method)
    if spelling is None:
        return None
    args: list[cst.BaseExpression] = [_method_ref(path, what, binary)]
    if what == "write":
        args.append(method.args[0].value)
    return [Replacement(method, _awaited_call(ctx, method, _threadpool_call(spelling, args, extra)))]


def _file_unused_elsewhere(ctx: FixContext, function: cst.FunctionDef, statement: cst.With, name: str) -> bool:
    """Outside ``statement``, ``name`` only appears as (or inside) another ``with ... as name``:
    nothing can read the file object that the fix stops binding."""
    inside = set(m.findall(statement, m.Name(name)))
    for node in m.findall(function, m.Name(name)):
        if node in inside:
            continue
        rebound = False
        child: cst.CSTNode = node
        for ancestor in ctx.ancestors(node):
            if isinstance(ancestor, cst.With) and ancestor is not statement and any(
                isinstance(i.asname, cst.AsName) and m.matches(i.asname.name, m.Name(name)) for i in ancestor.items
            ) and (child is ancestor.body or isinstance(child, cst.WithItem)):
                rebound = True
                break
            if ancestor is function:
                break
            child = ancestor
        if not rebound:
            return False
    return True


def _with_open(
    ctx: FixContext, fn: FunctionInfo, item: cst.WithItem, what: str, binary: bool,
    path: cst.BaseExpression, extra: list[cst.Arg],
) -> list[Replacement] | None:
    """``with open(p) as fh: x = fh.read()`` -> ``x = await run_in_threadpool(Path(p).read_text)``."""
    statement = ctx.parent(item)
    if not isinstance(statement, cst.With) or statement.asynchronous is not None or len(statement.items) != 1:
        return None
    if item.asname is None or not isinstance(item.asname.name, cst.Name):
        return None
    name = item.asname.name.value
    block = statement.body
    header_comment = None
    if isinstance(block, cst.IndentedBlock):
        if len(block.body) != 1 or not isinstance(block.body[0], cst.SimpleStatementLine) or block.footer:
            return None
        line = block.body[0]
        small = line.body
        header_comment = block.header.comment
    else:
        line = None
        small = block.body
    if len(small) != 1:
        return None
    stmt = small[0]
    value = stmt.value if isinstance(stmt, (cst.Assign, cst.AnnAssign, cst.Return, cst.Expr)) else None
    method = _file_method(value, None, what)
    if method is None or not m.matches(method.func, m.Attribute(value=m.Name(name))):
        return None
    if isinstance(stmt, cst.Expr) and what == "read":
        return None  # fh.read() for nothing: leave it
    if isinstance(stmt, (cst.Assign, cst.AnnAssign, cst.Return)) and what == "write":
        return None  # the number of characters written: leave it
    if isinstance(stmt, cst.Assign) and len(stmt.targets) != 1:
        return None
    function = next(a for a in ctx.ancestors(statement) if isinstance(a, cst.FunctionDef))
    if len(m.findall(stmt, m.Name(name))) != 1 or not _file_unused_elsewhere(ctx, function, statement, name):
        return None  # the file object is used beyond the one read/write
    if not _await_allowed(ctx, statement, fn):
        return None
    spelling = _threadpool(ctx, statement)
    if spelling is None:
        return None
    args: list[cst.BaseExpression] = [_method_ref(path, what, binary)]
    if what == "write":
        args.append(method.args[0].value)
    new_value = cst.Await(expression=_threadpool_call(spelling, args, extra))
    new_stmt = stmt.with_changes(value=new_value)
    if line is not None:
        trailing = line.trailing_whitespace
        if header_comment is not None:
            if trailing.comment is not None:
                return None
            trailing = trailing.with_changes(
                whitespace=cst.SimpleWhitespace("  "), comment=header_comment
            )
        new_line = line.with_changes(
            body=[new_stmt],
            leading_lines=[*statement.leading_lines, *line.leading_lines],
            trailing_whitespace=trailing,
        )
    else:
        new_line = cst.SimpleStatementLine(
            body=[new_stmt.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
            leading_lines=statement.leading_lines,
            trailing_whitespace=block.trailing_whitespace,  # type: ignore[union-attr]
        )
    return [Replacement(statement, new_line)]


# -- FPF110: drop async ---------------------------------------------------------------------------

_LOOP_ONLY = frozenset(
    ["create_task", "ensure_future", "run_until_complete", "call_soon", "call_later", "call_at",
     "run_coroutine_threadsafe", "get_event_loop", "get_running_loop", "create_background_task"]
)
_ENDPOINT_DECORATORS = frozenset(k for k, v in ROUTE_DECORATORS.items() if v == "endpoint")
_ENDPOINT_METHODS = frozenset(k for k, v in ROUTE_METHODS.items() if v == "endpoint")
_ENDPOINT_CLASSES = frozenset(k for k, v in ROUTE_CLASSES.items() if v == "endpoint")


def _needs_loop(ctx: FixContext, fn: FunctionInfo) -> bool:
    """The body awaits, or does something that needs the running event loop."""
    resolver = ctx.ast.resolver
    for node in walk_function(fn):
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return True
        if isinstance(node, ast.comprehension) and node.is_async:
            return True
        if isinstance(node, ast.Call):
            q = resolver.qualname(node.func, fn) or ""
            if q.split(".", 1)[0] in ("asyncio", "anyio", "trio"):
                return True
            if isinstance(node.func, ast.Attribute) and node.func.attr in _LOOP_ONLY:
                return True
            callee = resolver.callee(node, fn)
            if callee is not None and callee.kind == "helper" and (callee.helper is None or callee.helper.is_async):
                return True  # makes a coroutine: it would need a loop to run
    return False


def _registration(resolver, parent: ast.AST, node: ast.expr, fn: FunctionInfo | None) -> bool:  # type: ignore[no-untyped-def]
    """``node`` (a reference to the function) is registered with FastAPI, not called or kept."""
    if isinstance(parent, ast.keyword):
        return False  # keywords are checked from their call
    if not isinstance(parent, ast.Call) or node is parent.func:
        return False
    q = resolver.qualname(parent.func, fn)
    positional = parent.args.index(node) if node in parent.args else None
    keyword = next((k.arg for k in parent.keywords if k.value is node), None)
    if q in DEPENDS:
        return positional == 0 or keyword == "dependency"
    if q in _ENDPOINT_CLASSES or (
        isinstance(parent.func, ast.Attribute) and parent.func.attr in _ENDPOINT_METHODS
    ):
        return positional == 1 or keyword == "endpoint"
    return False


def _only_registered(ctx: FixContext, fn: FunctionInfo) -> bool:
    """Nothing in the module calls, awaits or keeps the function: every reference to its name is
    the dependency of a ``Depends``/``Security`` or the endpoint of a route registration."""
    tree = ctx.ast.module.tree
    parents: dict[int, ast.AST] = {}
    scopes: dict[int, FunctionInfo] = {id(f.node): f for f in ctx.ast.module.all_functions}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and node.id == fn.name) or (
            fn.cls is not None and isinstance(node, ast.Attribute) and node.attr == fn.name
        ):
            parent = parents.get(id(node))
            if isinstance(parent, ast.keyword):
                parent = parents.get(id(parent))
            scope = parent
            while scope is not None and id(scope) not in scopes:
                scope = parents.get(id(scope))
            if not _registration(ctx.ast.resolver, parent, node, scopes.get(id(scope)) if scope else None):
                return False
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and fn.name in node.names:
            return False
    return True


@fixer("FPF110", "unsafe")
def drop_async(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``async def endpoint():`` that never awaits -> ``def endpoint():``."""
    function = ctx.node_at(diagnostic, cst.FunctionDef)
    if not isinstance(function, cst.FunctionDef) or function.asynchronous is None:
        return None
    fn = next(
        (f for f in ctx.ast.module.all_functions
         if f.is_async and (f.node.lineno, f.node.col_offset) == (diagnostic.line, diagnostic.col)),
        None,
    )
    if fn is None or not _same_function(ctx, function, fn):
        return None
    role = ctx.ast.fastapi.role(fn)
    if role not in ("endpoint", "dependency"):
        return None
    for decorator in fn.node.decorator_list:
        # only route registrations: another decorator may need a coroutine function
        if not (
            role == "endpoint"
            and isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in _ENDPOINT_DECORATORS
        ):
            return None
    if _needs_loop(ctx, fn) or not _only_registered(ctx, fn):
        return None
    return [Replacement(function, function.with_changes(asynchronous=None))]
