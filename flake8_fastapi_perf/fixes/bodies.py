"""Fixes for FPF201-FPF203 and FPF205: uploads, bodies and file downloads that need not be whole.

- FPF201: ``data = await f.read()`` whose bytes are only written to a file object becomes a chunked
  copy loop (``while chunk := await f.read(1024 * 1024): out.write(chunk)``); ``f.file.read()``
  written to a plain file becomes ``shutil.copyfileobj(f.file, out)``.
- FPF202: ``body = await request.body()`` only written to a file becomes
  ``async for chunk in request.stream(): out.write(chunk)``.
- FPF203: ``data = await f.read()`` followed by ``if len(data) > LIMIT: raise/return`` reads
  ``LIMIT + 1`` bytes (``LIMIT`` bytes for ``>=``).
- FPF205 (unsafe): ``StreamingResponse(io.BytesIO(path.read_bytes()))``,
  ``Response(content=path.read_bytes())`` and friends become ``FileResponse(path)``.

Every fixer re-checks the exact shape on the CST and returns None when anything is off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import libcst as cst

from ..diagnostics import Diagnostic
from . import fixer
from .engine import FixContext, Replacement

CHUNK_SIZE = "1024 * 1024"
CHUNK_NAMES = ("chunk", "chunk_", "upload_chunk", "body_chunk")

#: What code between the read and the write may look at on the upload / request: plain attributes.
UPLOAD_ATTRS = frozenset(["filename", "content_type", "size", "headers"])
REQUEST_ATTRS = frozenset(
    ["headers", "url", "base_url", "path_params", "query_params", "cookies", "client", "method", "state",
     "app", "scope", "user", "auth"]
)
#: Nodes between the block of the read and the write that still run the write at most once.
ONCE = (cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine, cst.If, cst.Else, cst.With,
        cst.Try, cst.ExceptHandler, cst.Finally)
MODE = re.compile(r"^[rwaxbt+]+$")
TEMPFILES = frozenset(["tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile"])

STREAMING_RESPONSES = frozenset(["fastapi.responses.StreamingResponse", "starlette.responses.StreamingResponse"])
PLAIN_RESPONSES = frozenset(["fastapi.Response", "fastapi.responses.Response", "starlette.responses.Response"])
#: Arguments StreamingResponse/Response take that FileResponse takes too (same positions after the first).
RESPONSE_KWARGS = frozenset(["status_code", "headers", "media_type", "background"])
#: A function that mentions any of these may delete or close the file before FileResponse sends it.
CLEANUP_NAMES = frozenset(
    ["remove", "unlink", "rmtree", "rmdir", "cleanup", "TemporaryDirectory", "NamedTemporaryFile", "TemporaryFile",
     "SpooledTemporaryFile", "mkdtemp", "mkstemp", "truncate"]
)
#: Uses of a response variable that FileResponse supports the same way.
RESPONSE_ATTRS = frozenset(["headers", "set_cookie", "delete_cookie", "background", "status_code"])


# -- small CST helpers ---------------------------------------------------------------------------

class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[cst.Name] = []
        self.comments: list[cst.Comment] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node)

    def visit_Comment(self, node: cst.Comment) -> None:
        self.comments.append(node)


def _collect(node: cst.CSTNode) -> _NameCollector:
    collector = _NameCollector()
    node.visit(collector)
    return collector


def _names(node: cst.CSTNode) -> list[cst.Name]:
    return _collect(node).names


def _refs(ctx: FixContext, root: cst.CSTNode, value: str) -> list[cst.Name]:
    """Every use or binding of the variable ``value`` under ``root`` (not ``x.value`` nor ``f(value=...)``)."""
    found = []
    for name in _names(root):
        if name.value != value:
            continue
        parent = ctx.parent(name)
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            continue
        if isinstance(parent, cst.Arg) and parent.keyword is name:
            continue
        found.append(name)
    return found


def _is_binding(ctx: FixContext, name: cst.Name) -> bool:
    node: cst.CSTNode = name
    parent = ctx.parent(node)
    while isinstance(parent, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
        node, parent = parent, ctx.parent(parent)
    if isinstance(parent, cst.AssignTarget):
        return True
    if isinstance(parent, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor)):
        return parent.target is node
    return isinstance(parent, (cst.AsName, cst.Param, cst.Del, cst.NameItem, cst.FunctionDef, cst.ClassDef,
                               cst.ImportAlias))


def _exact(ctx: FixContext, diagnostic: Diagnostic, accept: Callable[[cst.CSTNode], bool]) -> cst.CSTNode | None:
    """The node that spans exactly the diagnostic's range and satisfies ``accept``."""
    end = (diagnostic.end_line, ctx.char_col(diagnostic.end_line, diagnostic.end_col))
    for node in ctx.nodes_at(diagnostic):
        where = ctx.positions[node]
        if (where.end.line, where.end.column) == end and accept(node):
            return node
    return None


def _dotted(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = _dotted(expr.value)
        return None if base is None else f"{base}.{expr.attr.value}"
    return None


def _module_bound(ctx: FixContext, name: str) -> bool:
    module = ctx.ast.module
    return name in module.imports or name in module.functions or name in module.classes or name in module.assigns


def _qualified(ctx: FixContext, fn: cst.FunctionDef | None, expr: cst.BaseExpression) -> str | None:
    """``io.BytesIO`` for ``io.BytesIO`` / ``BytesIO`` imported from io; ``open`` for the builtin."""
    dotted = _dotted(expr)
    if dotted is None:
        return None
    root, _, rest = dotted.partition(".")
    if fn is not None and any(_is_binding(ctx, n) for n in _refs(ctx, fn, root)):
        return None  # a local name
    target = ctx.ast.module.imports.get(root)
    if target is None:
        return None if _module_bound(ctx, root) else dotted
    return f"{target}.{rest}" if rest else target


def _string(expr: cst.BaseExpression | None) -> str | None:
    if isinstance(expr, cst.SimpleString) and "f" not in expr.prefix.lower():
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _argument(call: cst.Call, index: int, keyword: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None]
    return positional[index].value if len(positional) > index and not positional[index].star else None


def _plain_args(call: cst.Call) -> bool:
    return all(not arg.star for arg in call.args)


def _is_descendant(ctx: FixContext, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
    return node is ancestor or any(a is ancestor for a in ctx.ancestors(node))


def _comment_lines(statement: cst.CSTNode) -> list[cst.EmptyLine]:
    """The statement's leading lines, plus every comment inside it as a line of its own."""
    leading = list(getattr(statement, "leading_lines", ()))
    inner = statement.with_changes(leading_lines=[]) if leading else statement
    return leading + [cst.EmptyLine(comment=c) for c in _collect(inner).comments]


class _Edits(cst.CSTTransformer):
    """Apply edits (functions of the updated node) to original nodes of a subtree."""

    def __init__(self, edits: dict[cst.CSTNode, list[Callable]]) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        for edit in self.edits.get(original_node, ()):
            updated_node = edit(updated_node)
        return updated_node


def _remove_statement(edits: dict, block: cst.IndentedBlock, statement: cst.BaseStatement) -> None:
    """Remove ``statement`` from ``block``; its comments move to the statement after it."""
    index = list(block.body).index(statement)
    moved = _comment_lines(statement)
    edits.setdefault(statement, []).append(lambda node: cst.RemoveFromParent())
    if moved:
        following = block.body[index + 1]
        edits.setdefault(following, []).append(
            lambda node: node.with_changes(leading_lines=[*moved, *node.leading_lines])
        )


def _statement_of(ctx: FixContext, small: cst.BaseSmallStatement) -> cst.CSTNode | None:
    """The line or suite holding ``small`` when it is alone there."""
    holder = ctx.parent(small)
    if isinstance(holder, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and len(holder.body) == 1:
        return holder
    return None


def _top_in_block(ctx: FixContext, node: cst.CSTNode, block: cst.IndentedBlock) -> cst.CSTNode | None:
    """The statement of ``block`` that contains ``node``, if every node between runs it at most once."""
    current = node
    for ancestor in ctx.ancestors(node):
        if ancestor is block:
            return current
        if not isinstance(ancestor, ONCE):
            return None
        current = ancestor
    return None


def _unparenthesized(expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, (cst.Tuple, cst.GeneratorExp, cst.Yield)) or not getattr(expr, "lpar", None):
        return expr
    return expr.with_changes(lpar=[], rpar=[])


# -- FPF201 / FPF202: copy the bytes to the file in chunks ---------------------------------------

def _opener(ctx: FixContext, fn: cst.FunctionDef, expr: cst.BaseExpression) -> str | None:
    """"sync" / "async" when ``expr`` opens a file for binary writing, else None."""
    if not isinstance(expr, cst.Call) or not _plain_args(expr):
        return None
    q = _qualified(ctx, fn, expr.func)
    if q in ("open", "io.open", "aiofiles.open"):
        mode = _string(_argument(expr, 1, "mode"))
        kind = "async" if q == "aiofiles.open" else "sync"
    elif q in TEMPFILES:
        mode_arg = _argument(expr, 0, "mode")
        mode = "w+b" if mode_arg is None else _string(mode_arg)
        kind = "sync"
    elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "open":
        mode = _string(_argument(expr, 0, "mode"))  # Path.open(mode)
        kind = "sync"
    else:
        return None
    if mode is None or not MODE.match(mode) or "b" not in mode or not any(c in mode for c in "wax+"):
        return None
    return kind


def _file_object(ctx: FixContext, fn: cst.FunctionDef, name: cst.Name, use: cst.CSTNode) -> str | None:
    """"sync"/"async" when ``name`` is bound once, to a file opened for binary writing, and is
    still open at ``use`` (for a ``with`` target: ``use`` is inside the ``with``)."""
    bindings = [n for n in _refs(ctx, fn, name.value) if _is_binding(ctx, n)]
    if len(bindings) != 1:
        return None
    binding = bindings[0]
    parent = ctx.parent(binding)
    if isinstance(parent, cst.AsName):
        item = ctx.parent(parent)
        statement = ctx.parent(item) if isinstance(item, cst.WithItem) else None
        if not isinstance(statement, cst.With) or len(statement.items) != 1:
            return None
        if not _is_descendant(ctx, use, statement.body):
            return None
        kind = _opener(ctx, fn, item.item)
        return kind if (kind == "async") == (statement.asynchronous is not None) else None
    if isinstance(parent, cst.AssignTarget):
        assign = ctx.parent(parent)
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and _opener(ctx, fn, assign.value) == "sync":
            return "sync"
    return None


def _write_of(ctx: FixContext, arg: cst.CSTNode):  # type: ignore[no-untyped-def]
    """For the argument ``arg`` of ``out.write(arg)`` / ``await out.write(arg)`` standing alone as a
    statement: (call, out Name, awaited, Expr, its line or suite), else None."""
    if not isinstance(arg, cst.Arg) or arg.keyword is not None or arg.star:
        return None
    call = ctx.parent(arg)
    if not isinstance(call, cst.Call) or len(call.args) != 1 or call.args[0] is not arg:
        return None
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "write" and isinstance(func.value, cst.Name)):
        return None
    holder = ctx.parent(call)
    awaited = isinstance(holder, cst.Await) and holder.expression is call and not holder.lpar
    if awaited:
        holder = ctx.parent(holder)
    if not isinstance(holder, cst.Expr):
        return None
    statement = _statement_of(ctx, holder)
    if statement is None:
        return None
    return call, func.value, awaited, holder, statement


def _read_call(ctx: FixContext, diagnostic: Diagnostic, method: str) -> cst.Call | None:
    call = _exact(
        ctx, diagnostic,
        lambda n: isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == method,
    )
    return call if isinstance(call, cst.Call) else None


def _unsized(call: cst.Call) -> bool:
    if not call.args:
        return True
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return False
    size = call.args[0].value
    if isinstance(size, cst.Name) and size.value == "None":
        return True
    return (
        isinstance(size, cst.UnaryOperation) and isinstance(size.operator, cst.Minus)
        and isinstance(size.expression, cst.Integer) and size.expression.evaluated_value == 1
    )


def _with_size(call: cst.Call, size: cst.BaseExpression) -> cst.Call:
    """``f.read()`` / ``f.read(-1)`` -> ``f.read(size)``, keeping the argument's comma and comments."""
    if call.args:
        return call.with_changes(args=[call.args[0].with_changes(value=size)])
    return call.with_changes(args=[cst.Arg(size)])


def _source_of(ctx: FixContext, call: cst.Call, method: str) -> tuple[cst.BaseExpression, cst.Name, bool] | None:
    """(expression holding the bytes, upload/request Name, awaited) for the read at ``call``."""
    receiver = call.func.value  # type: ignore[attr-defined]
    parent = ctx.parent(call)
    awaited = isinstance(parent, cst.Await) and parent.expression is call
    if call.lpar or (awaited and parent.lpar):  # type: ignore[union-attr]
        return None
    if method == "body":
        if call.args or not awaited or not isinstance(receiver, cst.Name):
            return None
        return parent, receiver, True  # type: ignore[return-value]
    if not _unsized(call):
        return None
    if awaited and isinstance(receiver, cst.Name):
        return parent, receiver, True  # type: ignore[return-value]
    if (
        not awaited
        and isinstance(receiver, cst.Attribute)
        and receiver.attr.value == "file"
        and isinstance(receiver.value, cst.Name)
        and not receiver.lpar
    ):
        return call, receiver.value, False
    return None


def _copy_statement(
    ctx: FixContext, call: cst.Call, method: str, read_awaited: bool, chunk: str,
    write: tuple, statement: cst.CSTNode,
) -> cst.CSTNode | None:
    """The statement (or indented block, for a suite) that replaces the write ``statement``."""
    write_call, out, write_awaited, expr, _ = write
    if (method == "body" or read_awaited or write_awaited) and not ctx.await_allowed(statement):
        return None  # the loop awaits: it must run in the coroutine's own body
    if method == "read" and not read_awaited and not write_awaited:
        # f.file.read() written to a plain file: shutil.copyfileobj(f.file, out)
        spelling = ctx.spelling("shutil.copyfileobj", statement, add=(("shutil", None),))
        if spelling is None:
            return None
        copy = cst.parse_expression(f"{spelling}({ctx.code(call.func.value)}, {out.value})")  # type: ignore[attr-defined]
        return statement.with_changes(body=[expr.with_changes(value=copy)])
    new_write: cst.BaseExpression = write_call.with_changes(args=[write_call.args[0].with_changes(value=cst.Name(chunk))])
    if write_awaited:
        new_write = ctx.parent(write_call).with_changes(expression=new_write)  # type: ignore[union-attr]
    inner = cst.SimpleStatementLine(body=[expr.with_changes(value=new_write)])
    if isinstance(statement, cst.SimpleStatementLine):
        inner = inner.with_changes(trailing_whitespace=statement.trailing_whitespace)
    # new blocks indent like the block around them (the module's default indent when it is None)
    indent = next((a.indent for a in ctx.ancestors(statement) if isinstance(a, cst.IndentedBlock)), None)
    body = cst.IndentedBlock(body=[inner], indent=indent)
    loop: cst.BaseCompoundStatement
    if method == "body":
        stream = call.with_changes(func=call.func.with_changes(attr=cst.Name("stream")))  # type: ignore[attr-defined]
        loop = cst.For(target=cst.Name(chunk), iter=stream, body=body, asynchronous=cst.Asynchronous())
    else:
        read = _with_size(call, cst.parse_expression(CHUNK_SIZE))
        value: cst.BaseExpression = cst.Await(expression=read) if read_awaited else read
        loop = cst.While(test=cst.NamedExpr(target=cst.Name(chunk), value=value), body=body)
    if isinstance(statement, cst.SimpleStatementLine):
        return loop.with_changes(leading_lines=statement.leading_lines)
    # `with open(p, "wb") as out: out.write(data)`: the suite becomes an indented block
    return cst.IndentedBlock(body=[loop], header=statement.trailing_whitespace, indent=indent)  # type: ignore[attr-defined]


def _allowed_between(ctx: FixContext, nodes: Iterable[cst.CSTNode], name: str, attrs: frozenset[str],
                     skip: cst.CSTNode) -> bool:
    """Between the read and the write, ``name`` is only used as ``name.<attr>`` (no calls)."""
    for node in nodes:
        for ref in _refs(ctx, node, name):
            if _is_descendant(ctx, ref, skip):
                continue
            parent = ctx.parent(ref)
            if not (isinstance(parent, cst.Attribute) and parent.value is ref and parent.attr.value in attrs):
                return False
            holder = ctx.parent(parent)
            if isinstance(holder, cst.Call) and holder.func is parent:
                return False
    return True


def _stream_to_file(ctx: FixContext, diagnostic: Diagnostic, method: str) -> list[Replacement] | None:
    call = _read_call(ctx, diagnostic, method)
    if call is None:
        return None
    found = _source_of(ctx, call, method)
    if found is None:
        return None
    source, owner, read_awaited = found
    fn = ctx.enclosing_function(call)
    if fn is None or (read_awaited and fn.asynchronous is None):
        return None
    chunk = ctx.fresh_local(fn, CHUNK_NAMES)
    if chunk is None:
        return None
    attrs = REQUEST_ATTRS if method == "body" else UPLOAD_ATTRS
    container = ctx.parent(source)

    # out.write(await f.read())
    if isinstance(container, cst.Arg):
        write = _write_of(ctx, container)
        if write is None:
            return None
        statement = write[4]
        if _file_object(ctx, fn, write[1], statement) != ("async" if write[2] else "sync"):
            return None
        new = _copy_statement(ctx, call, method, read_awaited, chunk, write, statement)
        return None if new is None else [Replacement(statement, new)]

    # data = await f.read() ... out.write(data)
    if isinstance(container, cst.Assign):
        if len(container.targets) != 1 or container.value is not source:
            return None
        target = container.targets[0].target
    elif isinstance(container, cst.AnnAssign) and container.value is source:
        target = container.target
    else:
        return None
    if not isinstance(target, cst.Name):
        return None
    line = _statement_of(ctx, container)
    block = ctx.parent(line) if line is not None else None
    if not isinstance(line, cst.SimpleStatementLine) or not isinstance(block, cst.IndentedBlock):
        return None
    refs = _refs(ctx, fn, target.value)
    if len(refs) != 2 or refs[0] is not target:
        return None
    write = _write_of(ctx, ctx.parent(refs[1]))
    if write is None:
        return None
    statement = write[4]
    top = _top_in_block(ctx, statement, block)
    if top is None:
        return None
    body = list(block.body)
    start, stop = body.index(line), body.index(top)  # type: ignore[arg-type]
    if stop <= start:
        return None
    if not _allowed_between(ctx, body[start + 1:stop + 1], owner.value, attrs, statement):
        return None
    if _file_object(ctx, fn, write[1], statement) != ("async" if write[2] else "sync"):
        return None
    new = _copy_statement(ctx, call, method, read_awaited, chunk, write, statement)
    if new is None:
        return None
    edits: dict[cst.CSTNode, list[Callable]] = {statement: [lambda node: new]}
    _remove_statement(edits, block, line)
    return [Replacement(block, block.visit(_Edits(edits)))]


@fixer("FPF201", "safe")
def chunked_upload_copy(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``data = await f.read()`` only written to a file -> a chunked copy loop."""
    return _stream_to_file(ctx, diagnostic, "read")


@fixer("FPF202", "safe")
def streamed_body_copy(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``body = await request.body()`` only written to a file -> ``async for chunk in request.stream()``."""
    return _stream_to_file(ctx, diagnostic, "body")


# -- FPF203: read at most LIMIT + 1 bytes --------------------------------------------------------

_INT_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide, cst.Power, cst.LeftShift)


def _int_expr(ctx: FixContext, fn: cst.FunctionDef, expr: cst.BaseExpression, depth: int = 0) -> bool:
    """``expr`` is certainly an int: literals, arithmetic on ints, names bound only to such."""
    if depth > 8:
        return False
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.operator, (cst.Minus, cst.Plus)) and _int_expr(ctx, fn, expr.expression, depth + 1)
    if isinstance(expr, cst.BinaryOperation):
        if not isinstance(expr.operator, _INT_OPERATORS):
            return False
        if isinstance(expr.operator, cst.Power) and not isinstance(expr.right, cst.Integer):
            return False  # 2 ** -1 is a float
        return _int_expr(ctx, fn, expr.left, depth + 1) and _int_expr(ctx, fn, expr.right, depth + 1)
    if isinstance(expr, cst.Name):
        local = [n for n in _refs(ctx, fn, expr.value) if _is_binding(ctx, n)]
        if local:
            return all(_int_binding(ctx, fn, n, depth) for n in local)
        # the module's bindings, and those of the functions fn is nested in (a closure)
        enclosing = [a for a in ctx.ancestors(fn) if isinstance(a, cst.FunctionDef)] if fn is not ctx.module else []
        checked = 0
        for binding in (n for n in _refs(ctx, ctx.module, expr.value) if _is_binding(ctx, n)):
            scope = ctx.enclosing_function(binding)
            if isinstance(ctx.parent(binding), cst.NameItem):
                return False  # `global NAME` / `nonlocal NAME`: rebound somewhere
            if scope is not None and not any(scope is e for e in enclosing):
                continue  # another function's local
            if scope is None and any(isinstance(a, cst.ClassDef) for a in ctx.ancestors(binding)):
                continue  # a class attribute
            if not _int_binding(ctx, scope, binding, depth):
                return False
            checked += 1
        return checked > 0  # 0: a builtin, or from a star import
    return False


def _int_binding(ctx: FixContext, fn: cst.FunctionDef | None, name: cst.Name, depth: int) -> bool:
    parent = ctx.parent(name)
    if isinstance(parent, cst.AssignTarget):
        assign = ctx.parent(parent)
        scope = fn if fn is not None else ctx.module
        return (
            isinstance(assign, cst.Assign) and len(assign.targets) == 1
            and _int_expr(ctx, scope, assign.value, depth + 1)  # type: ignore[arg-type]
        )
    if isinstance(parent, cst.AnnAssign) and parent.target is name and parent.value is not None:
        return _int_expr(ctx, fn if fn is not None else ctx.module, parent.value, depth + 1)  # type: ignore[arg-type]
    if isinstance(parent, cst.Param) and parent.name is name:
        annotation = parent.annotation.annotation if parent.annotation else None
        default_ok = parent.default is None or isinstance(parent.default, cst.Integer)
        return isinstance(annotation, cst.Name) and annotation.value == "int" and default_ok and not parent.star
    return False


def _is_len_of(ctx: FixContext, fn: cst.FunctionDef, expr: cst.BaseExpression, name: str) -> bool:
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and _qualified(ctx, fn, expr.func) == "len"
        and len(expr.args) == 1
        and expr.args[0].keyword is None
        and not expr.args[0].star
        and isinstance(expr.args[0].value, cst.Name)
        and expr.args[0].value.value == name
        and not expr.lpar
    )


def _limit_check(ctx: FixContext, fn: cst.FunctionDef, test: cst.BaseExpression, names: set[str],
                 data: str) -> tuple[cst.BaseExpression, bool] | None:
    """``len(data) > LIMIT`` -> (LIMIT, True); ``>=`` -> (LIMIT, False); also ``LIMIT < len(data)``."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or test.lpar:
        return None
    target = test.comparisons[0]

    def measured(expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Name) and expr.value in names and expr.value != data:
            return True
        return _is_len_of(ctx, fn, expr, data)

    left, op, right = test.left, target.operator, target.comparator
    if measured(left) and isinstance(op, (cst.GreaterThan, cst.GreaterThanEqual)):
        return right, isinstance(op, cst.GreaterThan)
    if measured(right) and isinstance(op, (cst.LessThan, cst.LessThanEqual)):
        return left, isinstance(op, cst.LessThan)
    return None


@fixer("FPF203", "safe")
def bounded_read(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``data = await f.read()`` + ``if len(data) > LIMIT: raise`` -> ``await f.read(LIMIT + 1)``."""
    call = _read_call(ctx, diagnostic, "read")  # request.body() takes no size: left as it is
    if call is None:
        return None
    found = _source_of(ctx, call, "read")
    if found is None:
        return None
    source = found[0]
    fn = ctx.enclosing_function(call)
    assign = ctx.parent(source)
    if fn is None or not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not source:
        return None
    target = assign.targets[0].target
    line = _statement_of(ctx, assign)
    block = ctx.parent(line) if line is not None else None
    if not isinstance(target, cst.Name) or not isinstance(line, cst.SimpleStatementLine):
        return None
    if not isinstance(block, cst.IndentedBlock):
        return None
    body = list(block.body)
    index = body.index(line) + 1
    names = {target.value}
    following = body[index] if index < len(body) else None
    # size = len(data)
    if isinstance(following, cst.SimpleStatementLine) and len(following.body) == 1:
        small = following.body[0]
        if (
            isinstance(small, cst.Assign) and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and _is_len_of(ctx, fn, small.value, target.value)
        ):
            names.add(small.targets[0].target.value)
            index += 1
            following = body[index] if index < len(body) else None
    if not isinstance(following, cst.If):
        return None
    check = _limit_check(ctx, fn, following.test, names, target.value)
    if check is None:
        return None
    limit, strict = check
    if not _int_expr(ctx, fn, limit) or any(n.value in names for n in _names(limit)):
        return None
    # the oversized branch must leave without looking at the (now truncated) bytes
    branch = following.body
    statements = list(branch.body)
    last = statements[-1] if statements else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    if not isinstance(last, (cst.Raise, cst.Return)):
        return None
    if any(n.value in names for n in _names(branch)):
        return None
    if isinstance(last, cst.Raise):
        for ancestor in ctx.ancestors(following):
            if ancestor is fn:
                break
            if isinstance(ancestor, cst.Try):
                return None  # the raise may be caught and the bytes used after all
    size = limit.deep_clone()
    if isinstance(size, cst.BinaryOperation) and isinstance(size.operator, cst.LeftShift) and not size.lpar:
        size = size.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    if strict:
        size = cst.BinaryOperation(left=size, operator=cst.Add(), right=cst.Integer("1"))
    return [Replacement(call, _with_size(call, size if strict else _unparenthesized(size)))]


# -- FPF205: FileResponse(path) ------------------------------------------------------------------

def _file_response_spelling(ctx: FixContext, at: cst.CSTNode) -> str | None:
    module = "starlette.responses" if ctx.threadpool_module().startswith("starlette") else "fastapi.responses"
    return ctx.spelling(
        ("fastapi.responses.FileResponse", "starlette.responses.FileResponse"), at, add=((module, "FileResponse"),)
    )


def _stable(ctx: FixContext, fn: cst.FunctionDef, expr: cst.BaseExpression, depth: int = 0) -> bool:
    """Evaluating ``expr`` later gives the same path (names, attributes, literals, ``/``)."""
    if depth > 10:
        return False
    if isinstance(expr, (cst.Name, cst.SimpleString)):
        return True
    if isinstance(expr, cst.Attribute):
        return _stable(ctx, fn, expr.value, depth + 1)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Divide, cst.Add)):
        return _stable(ctx, fn, expr.left, depth + 1) and _stable(ctx, fn, expr.right, depth + 1)
    if isinstance(expr, cst.FormattedString):
        return all(
            _stable(ctx, fn, part.expression, depth + 1)
            for part in expr.parts if isinstance(part, cst.FormattedStringExpression)
        )
    if isinstance(expr, cst.Call) and _plain_args(expr) and not any(a.keyword for a in expr.args):
        q = _qualified(ctx, fn, expr.func)
        if q in ("pathlib.Path", "os.path.join", "str"):
            return all(_stable(ctx, fn, a.value, depth + 1) for a in expr.args)
    return False


def _open_rb(ctx: FixContext, fn: cst.FunctionDef, expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """``open(P, "rb")`` -> P."""
    if (
        isinstance(expr, cst.Call) and len(expr.args) == 2 and _plain_args(expr)
        and all(a.keyword is None for a in expr.args)
        and _qualified(ctx, fn, expr.func) in ("open", "io.open")
        and _string(expr.args[1].value) in ("rb", "br")
    ):
        return expr.args[0].value
    return None


def _whole_file(ctx: FixContext, fn: cst.FunctionDef, expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """``P.read_bytes()`` / ``open(P, "rb").read()`` -> P."""
    if not isinstance(expr, cst.Call) or expr.args or not isinstance(expr.func, cst.Attribute) or expr.lpar:
        return None
    if isinstance(ctx.parent(expr), cst.Await):
        return None
    if expr.func.attr.value == "read_bytes":
        return expr.func.value
    if expr.func.attr.value == "read":
        return _open_rb(ctx, fn, expr.func.value)
    return None


def _payload(ctx: FixContext, fn: cst.FunctionDef, response: str, content: cst.BaseExpression):  # type: ignore[no-untyped-def]
    """The bytes expression inside the response's content, and the wrapper calls around it."""
    wrappers: list[cst.BaseExpression] = []
    if response == "streaming":
        if not isinstance(content, cst.Call) or len(content.args) != 1 or content.args[0].keyword or content.args[0].star:
            return None
        q = _qualified(ctx, fn, content.func)
        inner = content.args[0].value
        if q == "io.BytesIO":
            wrappers.append(content.func)
            return inner, wrappers
        if q == "iter" and isinstance(inner, (cst.List, cst.Tuple)) and len(inner.elements) == 1:
            element = inner.elements[0]
            return (None if isinstance(element, cst.StarredElement) else element.value), wrappers
        return None
    return content, wrappers


def _response_use_ok(ctx: FixContext, fn: cst.FunctionDef, call: cst.Call) -> bool:
    """The response is returned, or bound to a name that is only returned or given headers/cookies."""
    parent = ctx.parent(call)
    if isinstance(parent, cst.Return):
        return True
    if not isinstance(parent, cst.Assign) or len(parent.targets) != 1 or not isinstance(parent.targets[0].target, cst.Name):
        return False
    variable = parent.targets[0].target
    for ref in _refs(ctx, fn, variable.value):
        if ref is variable:
            continue
        holder = ctx.parent(ref)
        if isinstance(holder, cst.Return):
            continue
        if isinstance(holder, cst.Attribute) and holder.value is ref and holder.attr.value in RESPONSE_ATTRS:
            continue
        return False
    return True


def _variable_source(ctx: FixContext, fn: cst.FunctionDef, name: cst.Name):  # type: ignore[no-untyped-def]
    """``data`` used once, bound by ``data = P.read_bytes()`` or ``with open(P, "rb") as fh: data = fh.read()``:
    (P, the statement to remove)."""
    refs = _refs(ctx, fn, name.value)
    if len(refs) != 2 or refs[1] is not name or not _is_binding(ctx, refs[0]):
        return None
    target_holder = ctx.parent(refs[0])
    assign = ctx.parent(target_holder) if isinstance(target_holder, cst.AssignTarget) else None
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    line = _statement_of(ctx, assign)
    if not isinstance(line, cst.SimpleStatementLine):
        return None
    value = assign.value
    path = _whole_file(ctx, fn, value)
    if path is not None:
        return path, line
    # with open(P, "rb") as fh:
    #     data = fh.read()
    if not (isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "read" and isinstance(value.func.value, cst.Name)):
        return None
    block = ctx.parent(line)
    statement = ctx.parent(block)
    if not (isinstance(block, cst.IndentedBlock) and len(block.body) == 1 and isinstance(statement, cst.With)):
        return None
    if statement.asynchronous is not None or len(statement.items) != 1:
        return None
    item = statement.items[0]
    handle = value.func.value
    if not (isinstance(item.asname, cst.AsName) and isinstance(item.asname.name, cst.Name)
            and item.asname.name.value == handle.value):
        return None
    if len(_refs(ctx, fn, handle.value)) != 2:
        return None
    path = _open_rb(ctx, fn, item.item)
    return None if path is None else (path, statement)


@fixer("FPF205", "unsafe")
def file_response(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``StreamingResponse(io.BytesIO(p.read_bytes()))`` / ``Response(content=p.read_bytes())`` -> ``FileResponse(p)``."""
    call = _exact(ctx, diagnostic, lambda n: isinstance(n, cst.Call))
    if not isinstance(call, cst.Call) or not _plain_args(call) or call.lpar:
        return None
    fn = ctx.enclosing_function(call)
    if fn is None:
        return None
    q = _qualified(ctx, fn, call.func)
    response = "streaming" if q in STREAMING_RESPONSES else "plain" if q in PLAIN_RESPONSES else None
    if response is None:
        return None
    positional = [a for a in call.args if a.keyword is None]
    keywords = [a.keyword.value for a in call.args if a.keyword is not None]
    if len(positional) > 5 or not set(keywords) <= RESPONSE_KWARGS | {"content"}:
        return None
    if positional and "content" in keywords:
        return None
    content_arg = positional[0] if positional else next((a for a in call.args if a.keyword and a.keyword.value == "content"), None)
    if content_arg is None:
        return None
    found = _payload(ctx, fn, response, content_arg.value)
    if found is None or found[0] is None:
        return None
    payload, wrappers = found
    # the file must still be there when the response is sent
    if not _response_use_ok(ctx, fn, call):
        return None
    if any(n.value in CLEANUP_NAMES for n in _names(fn)):
        return None
    for ancestor in ctx.ancestors(call):
        if ancestor is fn:
            break
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        if isinstance(ancestor, cst.Try) and ancestor.finalbody is not None:
            return None
        if isinstance(ancestor, cst.With) and not all(_open_rb(ctx, fn, item.item) is not None for item in ancestor.items):
            return None
    removed: cst.CSTNode | None = None
    if isinstance(payload, cst.Name):
        variable = _variable_source(ctx, fn, payload)
        if variable is None:
            return None
        path, removed = variable
        if not _stable(ctx, fn, path):
            return None
    else:
        path = _whole_file(ctx, fn, payload)
        if path is None:
            return None
    spelling = _file_response_spelling(ctx, call)
    if spelling is None:
        return None
    path = _unparenthesized(path.deep_clone())
    if content_arg.keyword is not None:
        new_arg = content_arg.with_changes(keyword=cst.Name("path"), value=path)
    else:
        new_arg = content_arg.with_changes(value=path)
    new_call = call.with_changes(
        func=cst.parse_expression(spelling),
        args=[new_arg if a is content_arg else a for a in call.args],
    )
    ctx.drop_imports_of(call.func)
    for wrapper in wrappers:
        ctx.drop_imports_of(wrapper)
    if removed is None:
        return [Replacement(call, new_call)]
    block = ctx.parent(removed)
    if not isinstance(block, cst.IndentedBlock):
        return None
    statement = next((a for a in ctx.ancestors(call) if isinstance(a, cst.BaseStatement)), None)
    top = None if statement is None else _top_in_block(ctx, statement, block)
    body = list(block.body)
    if top is None or body.index(top) <= body.index(removed):  # type: ignore[arg-type]
        return None
    # nothing between may rebind what the path is made of
    path_names = {n.value for n in _names(path)}
    for statement in body[body.index(removed) + 1:body.index(top) + 1]:  # type: ignore[arg-type]
        if any(_is_binding(ctx, n) for name in path_names for n in _refs(ctx, statement, name)):
            return None
    edits: dict[cst.CSTNode, list[Callable]] = {call: [lambda node: new_call]}
    _remove_statement(edits, block, removed)  # type: ignore[arg-type]
    return [Replacement(block, block.visit(_Edits(edits)))]
