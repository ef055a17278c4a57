"""Fixes for FPF502 (bound the cache) and FPF504 (keep a reference to the task)."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import FunctionScope

from ..diagnostics import Diagnostic
from . import fixer
from .engine import FixContext, Replacement
from .safety import Intent
from .resources import _MAX_SUFFIX, asname, dotted, fresh_name, names_in, scopes

# -- FPF502 --------------------------------------------------------------------------------------

_BOUND = "128"


def _maxsize_arg() -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name("maxsize"),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        value=cst.Integer(_BOUND),
    )


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


@fixer("FPF502", "unsafe")
def bound_cache(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``@cache`` / ``@lru_cache(maxsize=None)`` -> ``@lru_cache(maxsize=128)``."""
    node = ctx.node_at(diagnostic, cst.Call, cst.Name, cst.Attribute)
    decorator = ctx.parent(node) if node is not None else None
    if not isinstance(decorator, cst.Decorator) or decorator.decorator is not node:
        return None
    target = node.func if isinstance(node, cst.Call) else node
    name = dotted(target)
    if name is None:
        return None
    root, _, rest = name.partition(".")
    imported = ctx.census.import_target(root)
    qualified = None if imported is None else f"{imported}.{rest}" if rest else imported
    if qualified == "functools.lru_cache":
        if not isinstance(node, cst.Call):
            return None
        args = list(node.args)
        positional = [a for a in args if a.keyword is None and not a.star]
        if positional:
            arg = positional[0]
            if not _is_none(arg.value):
                return None
            if len(positional) == 1:
                new = _maxsize_arg().with_changes(comma=arg.comma, whitespace_after_arg=arg.whitespace_after_arg)
            else:
                new = arg.with_changes(value=cst.Integer(_BOUND))
            return [Replacement(arg, new)]
        arg = next((a for a in args if a.keyword is not None and a.keyword.value == "maxsize"), None)
        if arg is None or not _is_none(arg.value):
            return None
        return [Replacement(arg.value, cst.Integer(_BOUND))]
    if qualified != "functools.cache" or isinstance(node, cst.Call):
        return None
    replacements: list[Replacement] = []
    if isinstance(target, cst.Attribute):  # functools.cache -> functools.lru_cache(maxsize=128)
        func: cst.BaseExpression = target.with_changes(attr=cst.Name("lru_cache"))
    else:
        spelling = ctx.spelling("functools.lru_cache", node, through_modules=False)
        if spelling is None and ctx.census.can_import("lru_cache", "functools.lru_cache"):
            edit = _add_to_import(ctx, target.value)  # from functools import cache, lru_cache
            if edit is not None:
                replacements.append(edit)
                ctx.declare("lru_cache", Intent("import", "functools.lru_cache"))
                spelling = "lru_cache"
        if spelling is None:  # `functools.lru_cache`, or a new `from functools import lru_cache`
            spelling = ctx.spelling("functools.lru_cache", node, add=(("functools", "lru_cache"),))
        if spelling is None:
            return None  # `lru_cache` means something else here
        func = cst.parse_expression(spelling)
        ctx.drop_imports_of(target)
    replacements.append(Replacement(node, cst.Call(func=func, args=[_maxsize_arg()])))
    return replacements


def _add_to_import(ctx: FixContext, bound: str) -> Replacement | None:
    """``from functools import cache`` -> ``from functools import cache, lru_cache`` (the
    engine then drops ``cache`` if nothing uses it any more), in place."""
    for stmt in ctx.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
                and dotted(small.module) == "functools"
                and not isinstance(small.names, cst.ImportStar)
            ):
                continue
            names = list(small.names)
            for index, alias in enumerate(names):
                if isinstance(alias.name, cst.Name) and alias.name.value == "cache" and (asname(alias) or "cache") == bound:
                    added = cst.ImportAlias(name=cst.Name("lru_cache"), comma=alias.comma)
                    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                    names[index : index + 1] = [alias.with_changes(comma=comma), added]
                    return Replacement(small, small.with_changes(names=names))
    return None


# -- FPF504 --------------------------------------------------------------------------------------

_SET = "_background_tasks"
_TASK = "task"
_SPAWN = frozenset(["create_task", "ensure_future"])


def _last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _defines_set(stmt: cst.CSTNode, name: str) -> bool:
    """``name = set()`` / ``name: set[...] = set()``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, cst.Assign):
        if len(small.targets) != 1:
            return False
        target, value = small.targets[0].target, small.value
    elif isinstance(small, cst.AnnAssign):
        target, value = small.target, small.value
    else:
        return False
    return (
        isinstance(target, cst.Name)
        and target.value == name
        and isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "set"
        and not value.args
    )


def _task_set(ctx: FixContext) -> tuple[str, cst.CSTNode | None] | None:
    """The module-level set to keep tasks in: (name, its definition or None if to be added)."""
    if not ctx.builtin("set"):
        return None  # `set` is not the builtin here
    known = ctx.census
    for index in range(_MAX_SUFFIX):
        name = _SET if index == 0 else f"{_SET}_{index}"
        definition = next((s for s in ctx.module.body if _defines_set(s, name)), None)
        bindings = known.bindings.get(name, [])
        if definition is not None and len(bindings) == 1 and not known.stars:
            ctx.declare(name, Intent("variable"))
            return name, definition  # its only binding: the set itself
        if known.free(name):
            ctx.declare(name, Intent("variable"))
            return name, None
    return None


def _binds(stmt: cst.CSTNode, name: str) -> bool:
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return stmt.name.value == name
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign):
                targets = [small.target]
            else:
                continue
            if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                return True
    return False


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _only_imports(stmt: cst.CSTNode) -> bool:
    """A module-level ``try``/``if`` block of imports (``try: import ujson as json ...``)."""
    if not isinstance(stmt, (cst.Try, cst.If)):
        return False

    class Simple(cst.CSTVisitor):
        ok = True

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
            if not all(isinstance(s, (cst.Import, cst.ImportFrom, cst.Pass)) for s in node.body):
                self.ok = False
            return False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            self.ok = False
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            self.ok = False
            return False

    visitor = Simple()
    stmt.visit(visitor)
    return visitor.ok


def _anchor(ctx: FixContext) -> tuple[cst.BaseStatement, bool] | None:
    """The statement after which the set is defined (True), or before which (False): the last
    import of the module's header (docstring, imports, import blocks)."""
    body = list(ctx.module.body)
    anchor: cst.BaseStatement | None = None
    for index, stmt in enumerate(body):
        if _is_import_line(stmt) or (index == 0 and _is_docstring(stmt)):
            anchor = stmt
        elif not _only_imports(stmt):
            break
    if anchor is not None:
        return anchor, True
    return (body[0], False) if body else None


def _task_spelling(ctx: FixContext, line: int) -> str | None:
    """``asyncio.Task`` for the set's annotation, evaluated at ``line`` of the module."""
    return ctx.spelling("asyncio.Task", line, add=(("asyncio", None),))


def _statement_scope(ctx: FixContext, node: cst.CSTNode) -> cst.CSTNode | None:
    """The function (or the module) whose code ``node`` is; None in a class body."""
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
        if isinstance(ancestor, (cst.ClassDef, cst.Lambda)):
            return None
    return ctx.module


def _line(ctx: FixContext, node: cst.CSTNode) -> int:
    return ctx.positions[node].start.line


def _small_line(small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[small])


@fixer("FPF504", "safe")
def keep_task(ctx: FixContext, diagnostic: Diagnostic) -> list[Replacement] | None:
    """``asyncio.create_task(coro())`` -> ``task = asyncio.create_task(coro())`` /
    ``_background_tasks.add(task)`` / ``task.add_done_callback(_background_tasks.discard)``."""
    expr = ctx.node_at(diagnostic, cst.Expr)
    if not isinstance(expr, cst.Expr):
        return None
    value = expr.value
    spawn = value
    callback: cst.Call | None = None
    if (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "add_done_callback"
        and isinstance(value.func.value, cst.Call)
    ):
        spawn, callback = value.func.value, value
    if not isinstance(spawn, cst.Call) or _last_name(spawn.func) not in _SPAWN:
        return None
    if ctx.positions[spawn].start != ctx.positions[expr].start:
        return None
    owner = _statement_scope(ctx, expr)
    if owner is None:
        return None
    found = _task_set(ctx)
    if found is None:
        return None
    set_name, definition = found
    scope = scopes(ctx).get(expr)
    while scope is not None and scope is not scope.globals:
        if isinstance(scope, FunctionScope) and scope.assignments[set_name]:
            return None  # a local of that name hides the module-level set
        scope = scope.parent
    if owner is ctx.module and definition is not None and _line(ctx, definition) > _line(ctx, expr):
        return None  # module-level code before the set exists
    local = fresh_name(_TASK, names_in(ctx, owner))
    if not local:
        return None
    if owner is ctx.module:  # a new module-level variable
        if not ctx.census.free(local):
            return None
        ctx.declare(local, Intent("variable"))

    replacements: list[Replacement] = []
    if definition is None:
        anchor = _anchor(ctx)
        if anchor is None:
            return None
        statement, after = anchor
        where = ctx.positions[statement]
        spelling = _task_spelling(ctx, where.end.line + 1 if after else where.start.line)
        if spelling is None:
            return None
        new = cst.SimpleStatementLine(
            body=[
                cst.AnnAssign(
                    target=cst.Name(set_name),
                    annotation=cst.Annotation(cst.parse_expression(f"set[{spelling}]")),
                    value=cst.parse_expression("set()"),
                )
            ],
        )
        if after:
            flat = [statement, new.with_changes(leading_lines=[cst.EmptyLine()])]
        else:
            flat = [new, statement.with_changes(leading_lines=[cst.EmptyLine(), *statement.leading_lines])]
        replacements.append(Replacement(statement, cst.FlattenSentinel(flat)))

    name = cst.Name(local)
    smalls: list[cst.BaseSmallStatement] = [
        cst.Assign(targets=[cst.AssignTarget(target=name)], value=spawn),
        cst.Expr(cst.parse_expression(f"{set_name}.add({local})")),
        cst.Expr(cst.parse_expression(f"{local}.add_done_callback({set_name}.discard)")),
    ]
    if callback is not None:
        smalls.append(cst.Expr(callback.with_changes(func=callback.func.with_changes(value=name))))
    line = ctx.parent(expr)
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        first = line.with_changes(body=[smalls[0]])
        replacements.append(Replacement(line, cst.FlattenSentinel([first, *map(_small_line, smalls[1:])])))
    elif isinstance(line, cst.SimpleStatementSuite) and len(line.body) == 1:
        # `if x: create_task(b())` -> an indented block
        block = cst.IndentedBlock(header=line.trailing_whitespace, body=list(map(_small_line, smalls)))
        replacements.append(Replacement(line, block))
    else:  # `a(); create_task(b())`: stay on one line
        smalls[-1] = smalls[-1].with_changes(semicolon=expr.semicolon)
        replacements.append(Replacement(expr, cst.FlattenSentinel(smalls)))
    return replacements
