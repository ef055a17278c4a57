"""What a fix may never do: leave code that does not compile, change what a name means, or drop
an import that other code relies on.

The fixers are written to avoid all three; this module is the check they cannot talk their way
past.  The engine runs :func:`verify` on every fixed text before it accepts it, the way a
compiler would, and it is the oracle of the property tests (``tests/test_fix_safety.py``).

*What a name means* is where each reference to it resolves, as Python's own compiler sees it
(:mod:`symtable`): to a binding of its own scope, of an enclosing function, or to the module's
namespace, described by every binding the module makes of that name (the imports with their
targets, defs, classes, assignments, star imports) or to a builtin.  Scopes are named by their
path of ``def``/``class`` names (with an ordinal for repeated names); lambdas, comprehensions and
other anonymous scopes count as part of the named scope around them, so a fix that moves a call
into a ``lambda`` keeps the meaning of its names.

A fix declares the names it relies on (:class:`Intent`): ``asyncio`` must be the ``asyncio``
module, ``set`` the builtin, ``_background_tasks`` a module variable.  :func:`verify` then
asserts, between the text before and after the fix:

1. the new text compiles (``compile()``, not only ``ast.parse``: ``await`` in a lambda, a
   generator expression or a sync function, ``nonlocal`` errors, ``return`` outside a function);
2. every name referenced before in a scope still resolves to the same binding there;
3. a name the fix references more often than before resolves to what the fix declared for it,
   or, if nothing was declared, it is a copy of a reference the scope already had (``LIMIT`` in
   ``read(LIMIT + 1)``) or a new local of that scope that nothing there was called before
   (``chunk``, ``task``);
4. the module namespace changed only by the bindings the fix declared, and by imports it
   dropped.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

#: Names symtable gives anonymous scopes (3.10-3.13); a ``def`` of one of these names is told apart
#: by its position.
ANONYMOUS = frozenset(["lambda", "listcomp", "setcomp", "dictcomp", "genexpr"])
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_BUILTINS = frozenset(dir(builtins))
_MATCH_NAMES = tuple(t for t in (getattr(ast, "MatchAs", None), getattr(ast, "MatchStar", None)) if t)
_TYPE_PARAMS = tuple(
    t for t in (getattr(ast, "TypeVar", None), getattr(ast, "ParamSpec", None), getattr(ast, "TypeVarTuple", None)) if t
)

#: A binding in the module's namespace: (kind, target, unconditional top-level statement).
#: kind: "import" (target: the dotted name bound), "def", "class", "assign", "del", "global" (a
#: function's ``global`` name assigned there), "star" (target: the module of ``import *``).
ModuleBinding = tuple[str, "str | None", bool]


@dataclass(frozen=True)
class Intent:
    """What a fix declares a name it uses to be: ``("import", "asyncio")`` (every binding of the
    name in the module imports that, and one runs unconditionally at the top), ``("builtin",)``,
    or ``("variable",)`` (a module-level variable assigned, never imported)."""

    kind: str
    target: str | None = None


@dataclass(frozen=True)
class Binding:
    kind: str  # import, def, class, assign, del, param, global, nonlocal, except, match, typeparam
    target: str | None  # imports: the dotted name bound (``asyncio``, ``asyncio.sleep``, ``.x.y``)
    top: bool  # an import statement directly in the module body
    line: int
    module_scope: bool  # binds in the module's namespace


@dataclass
class Census:
    """Every identifier of a module and every binding of it, in any scope (from its ``ast``)."""

    identifiers: set[str] = field(default_factory=set)
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)
    #: the names listed in ``__all__`` (None: ``__all__`` is built in a way not read here)
    exported: set[str] | None = field(default_factory=set)
    #: references (``Name`` loads) per (scope path, name)
    refs: Counter = field(default_factory=Counter)
    #: (name, line) of every ``def`` (tells ``def listcomp():`` from a comprehension)
    defs: set[tuple[str, int]] = field(default_factory=set)
    #: the dotted names of ``import a.b.c`` statements at the top of the module (``a.b.c`` can be
    #: spelt through ``a``)
    modules: set[str] = field(default_factory=set)

    # -- questions a fixer asks ------------------------------------------------------------------
    def usable_import(self, name: str, target: str, before_line: int | None = None) -> bool:
        """``name`` means the import of ``target`` wherever it is used: every binding of it in
        the module (any scope) imports exactly that, one of them is a top-level statement that
        runs unconditionally (before ``before_line``), and no star import may rebind it."""
        if self.stars:
            return False
        found = self.bindings.get(name)
        if not found or any(b.kind != "import" or b.target != target for b in found):
            return False
        return any(b.top and (before_line is None or b.line < before_line) for b in found)

    def import_target(self, name: str) -> str | None:
        """What ``name`` imports wherever it is used (see :meth:`usable_import`), or None."""
        found = self.bindings.get(name)
        target = found[0].target if found else None
        return target if target is not None and self.usable_import(name, target) else None

    def can_import(self, name: str, target: str) -> bool:
        """A top-level import of ``target`` may be added under ``name``: nothing in the module
        uses or binds ``name`` (or every binding of it already imports ``target``), it is not a
        builtin, and no star import could rebind it."""
        if self.stars or name in _BUILTINS:
            return False
        if name not in self.identifiers:
            return True
        found = self.bindings.get(name)
        return bool(found) and all(b.kind == "import" and b.target == target for b in found)

    def free(self, name: str) -> bool:
        """Nothing in the module is called ``name``, nor can a star import make it so, and it is
        not a builtin: a new module-level name can take it."""
        return not self.stars and name not in _BUILTINS and name not in self.identifiers

    def is_builtin(self, name: str) -> bool:
        """``name`` means the builtin everywhere: nothing binds it and no star import may."""
        return name in _BUILTINS and not self.stars and name not in self.bindings

    def module_bindings(self) -> dict[str, frozenset[ModuleBinding]]:
        found: dict[str, set[ModuleBinding]] = {}
        for name, bindings in self.bindings.items():
            for b in bindings:
                if b.module_scope:
                    found.setdefault(name, set()).add((b.kind, b.target if b.kind == "import" else None, b.top))
        return {name: frozenset(v) for name, v in found.items()}


def _import_binding(alias: ast.alias) -> tuple[str, str]:
    if alias.asname:
        return alias.asname, alias.name
    top = alias.name.partition(".")[0]
    return top, top


def _from_binding(node: ast.ImportFrom, alias: ast.alias) -> tuple[str, str]:
    base = "." * node.level + (node.module or "")
    sep = "" if base.endswith(".") or not base else "."
    return alias.asname or alias.name, f"{base}{sep}{alias.name}"


def _names_in_all(value: ast.expr) -> set[str] | None:
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        names = set()
        for elt in value.elts:
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                return None
            names.add(elt.value)
        return names
    return None


def census(tree: ast.Module) -> Census:
    """The :class:`Census` of a module (one iterative walk, in source order)."""
    result = Census()
    identifiers, bindings, refs = result.identifiers, result.bindings, result.refs
    top_level = {id(stmt) for stmt in tree.body}
    ordinals: dict[str, Counter] = {}

    def bind(name: str, kind: str, line: int, module_scope: bool, target: str | None = None,
             top: bool = False) -> None:
        identifiers.add(name)
        bindings.setdefault(name, []).append(Binding(kind, target, top, line, module_scope))

    # (node, named scope path, the code runs in the module's namespace)
    stack: list[tuple[ast.AST, str, bool]] = [(stmt, "", True) for stmt in reversed(tree.body)]
    while stack:
        node, path, at_module = stack.pop()
        tp = type(node)
        line = getattr(node, "lineno", 0)
        children: list[tuple[ast.AST, str, bool]] = []
        if tp is ast.Name:
            identifiers.add(node.id)
            if isinstance(node.ctx, ast.Load):
                refs[(path, node.id)] += 1
            else:
                bind(node.id, "del" if isinstance(node.ctx, ast.Del) else "assign", line, at_module)
            continue
        if tp in _SCOPES:
            kind = "class" if tp is ast.ClassDef else "def"
            bind(node.name, kind, line, at_module)
            if kind == "def":
                result.defs.add((node.name, line))
            counter = ordinals.setdefault(path, Counter())
            counter[(kind, node.name)] += 1
            inner = f"{path}/{kind} {node.name}#{counter[(kind, node.name)]}"
            # evaluated where the statement is: decorators, defaults, annotations, bases
            outer: list[ast.AST] = list(node.decorator_list)
            if kind == "class":
                outer += node.bases + [k.value for k in node.keywords]
            else:
                args = node.args
                outer += [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
                for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                    if arg is not None:
                        bind(arg.arg, "param", line, False)
                        if arg.annotation is not None:
                            outer.append(arg.annotation)
                if node.returns is not None:
                    outer.append(node.returns)
            for tp_param in getattr(node, "type_params", ()) or ():
                children.append((tp_param, inner, False))
            children += [(n, path, at_module) for n in outer]
            children += [(stmt, inner, False) for stmt in node.body]
        elif tp is ast.Lambda:
            args = node.args
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if arg is not None:
                    bind(arg.arg, "param", line, False)
            children += [(d, path, at_module) for d in (*args.defaults, *(d for d in args.kw_defaults if d))]
            children.append((node.body, path, False))
        elif tp in _COMPREHENSIONS:
            generators = node.generators
            children.append((generators[0].iter, path, at_module))  # evaluated outside
            for i, gen in enumerate(generators):
                children.append((gen.target, path, False))
                if i:
                    children.append((gen.iter, path, False))
                children += [(cond, path, False) for cond in gen.ifs]
            if tp is ast.DictComp:
                children += [(node.key, path, False), (node.value, path, False)]
            else:
                children.append((node.elt, path, False))
        elif tp is ast.NamedExpr:
            target = node.target
            # binds in the enclosing function or module, even inside a comprehension
            bind(target.id, "assign", line, at_module or not path)
            children.append((node.value, path, at_module))
        elif tp is ast.Import:
            for alias in node.names:
                name, target = _import_binding(alias)
                bind(name, "import", line, at_module, target, id(node) in top_level)
                if id(node) in top_level and not alias.asname:
                    result.modules.add(alias.name)
            continue
        elif tp is ast.ImportFrom:
            for alias in node.names:
                if alias.name == "*":
                    result.stars.append("." * node.level + (node.module or ""))
                    continue
                name, target = _from_binding(node, alias)
                bind(name, "import", line, at_module, target, id(node) in top_level)
            continue
        elif tp is ast.Global or tp is ast.Nonlocal:
            for name in node.names:
                bind(name, "global" if tp is ast.Global else "nonlocal", line, tp is ast.Global)
            continue
        elif tp is ast.ExceptHandler:
            if node.name:
                bind(node.name, "except", line, at_module)
        elif _MATCH_NAMES and tp in _MATCH_NAMES:
            if node.name:
                bind(node.name, "match", line, at_module)
        elif tp.__name__ == "MatchMapping":
            if node.rest:
                bind(node.rest, "match", line, at_module)
        elif _TYPE_PARAMS and tp in _TYPE_PARAMS:
            bind(node.name, "typeparam", line, False)
        if at_module and not path and tp in (ast.Assign, ast.AugAssign, ast.AnnAssign):
            targets = node.targets if tp is ast.Assign else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = getattr(node, "value", None)
                names = _names_in_all(value) if value is not None else None
                if names is None or result.exported is None:
                    result.exported = None
                else:
                    result.exported |= names
        if (
            at_module and not path and tp is ast.Expr and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == "__all__"
        ):
            result.exported = None  # __all__.extend(...), __all__.append(...)
        if not children:
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
                    children.append((child, path, at_module))
        stack.extend(reversed(children))
    return result


# -- what names mean ----------------------------------------------------------------------------

Resolution = tuple


@dataclass
class Meanings:
    """Where each name referenced in each scope resolves, and the module namespace."""

    census: Census
    #: (scope path, name) -> resolutions (anonymous scopes merged into their named scope)
    resolved: dict[tuple[str, str], frozenset[Resolution]]
    namespace: dict[str, frozenset[ModuleBinding]]
    #: (scope path, name) bound in that scope or an anonymous scope of it
    bound: set[tuple[str, str]]


def _describe(namespace: dict[str, frozenset[ModuleBinding]], stars: list[str], name: str) -> Resolution:
    found = namespace.get(name)
    extra = (("star",),) if stars else ()
    if found:
        return ("global", tuple(sorted(found, key=repr)) + extra)
    return ("global", ((("builtin",) if name in _BUILTINS else ("unbound",)),) + extra)


def meanings(text: str, tree: ast.Module) -> Meanings:
    """The :class:`Meanings` of a module; raises SyntaxError (or RecursionError) when symtable
    cannot analyse it."""
    found = census(tree)
    table = symtable.symtable(text, "<fix>", "exec")
    namespace = found.module_bindings()
    # a function's ``global x`` assigned there binds the module's x
    tables: list[tuple[symtable.SymbolTable, str, bool, tuple]] = []  # table, path, anonymous, ancestors
    ordinals: dict[str, Counter] = {}
    stack = [(table, "", False, ())]
    while stack:
        current, path, anonymous, ancestors = stack.pop()
        tables.append((current, path, anonymous, ancestors))
        kids = []
        for child in current.get_children():
            kind = child.get_type()
            kind = getattr(kind, "value", kind)  # an enum from Python 3.13
            name = child.get_name()
            if kind == "class" or (kind == "function" and (name not in ANONYMOUS or (name, child.get_lineno()) in found.defs)):
                tag = "class" if kind == "class" else "def"
                counter = ordinals.setdefault(path, Counter())
                counter[(tag, name)] += 1
                kids.append((child, f"{path}/{tag} {name}#{counter[(tag, name)]}", False,
                             ancestors + ((current, path, anonymous),)))
            else:
                kids.append((child, path, True, ancestors + ((current, path, anonymous),)))
        stack.extend(reversed(kids))
    for current, _path, _anon, _anc in tables:
        kind = current.get_type()
        kind = getattr(kind, "value", kind)
        if kind == "module":
            continue
        for symbol in current.get_symbols():
            if symbol.is_declared_global() and symbol.is_assigned():
                name = symbol.get_name()
                namespace[name] = namespace.get(name, frozenset()) | {("global", None, False)}
    resolved: dict[tuple[str, str], set[Resolution]] = {}
    bound: set[tuple[str, str]] = set()
    for current, path, anonymous, ancestors in tables:
        kind = current.get_type()
        kind = getattr(kind, "value", kind)
        is_module = kind == "module"
        for symbol in current.get_symbols():
            name = symbol.get_name()
            if name.startswith("."):
                continue  # the implicit argument of a comprehension
            if not is_module and (symbol.is_local() or symbol.is_parameter()) and not symbol.is_global():
                bound.add((path, name))
            if not symbol.is_referenced():
                continue
            if is_module or symbol.is_global() or symbol.is_declared_global():
                where = _describe(namespace, found.stars, name)
            elif symbol.is_free():
                where = ("free?",)
                for outer, outer_path, outer_anon in reversed(ancestors):
                    outer_kind = outer.get_type()
                    outer_kind = getattr(outer_kind, "value", outer_kind)
                    if outer_kind in ("class", "module"):
                        continue
                    try:
                        owner = outer.lookup(name)
                    except KeyError:
                        continue
                    if (owner.is_local() or owner.is_parameter()) and not owner.is_free():
                        where = ("anon" if outer_anon else "scope", outer_path)
                        break
            elif symbol.is_local() or symbol.is_parameter():
                where = ("anon" if anonymous else "scope", path)
            else:
                where = ("?",)
            resolved.setdefault((path, name), set()).add(where)
    return Meanings(found, {k: frozenset(v) for k, v in resolved.items()}, namespace, bound)


# -- the check ------------------------------------------------------------------------------------

def compiles(source: bytes | str, tree: ast.Module | None = None) -> str | None:
    """None when ``source`` compiles, else why not (one line)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree if tree is not None else source, "<fixed>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"does not compile: {exc.msg} (line {exc.lineno})"
    except (ValueError, TypeError) as exc:
        return f"does not compile: {exc}"
    except (RecursionError, MemoryError) as exc:
        return f"cannot be compiled: {type(exc).__name__}"
    return None


def parse(source: bytes | str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _expected(intent: Intent, namespace: dict[str, frozenset[ModuleBinding]], stars: list[str], name: str) -> bool:
    """``name`` in the module namespace is what ``intent`` says."""
    if stars:
        return False
    found = namespace.get(name, frozenset())
    if intent.kind == "builtin":
        return not found and name in _BUILTINS
    if intent.kind == "variable":
        return bool(found) and all(kind == "assign" for kind, _, _ in found)
    if intent.kind == "import":
        return bool(found) and all(k == "import" and t == intent.target for k, t, _ in found) and any(
            top for _, _, top in found
        )
    return False


def verify(old: Meanings, new_text: str, intents: dict[str, Intent],
           droppable: Callable[[str], bool] = lambda name: True) -> str | None:
    """None when the fixed module ``new_text`` keeps every meaning of ``old`` (see the module
    docstring), else the first reason it does not (one line).  ``droppable(name)``: whether an
    import of ``name`` may go (nothing outside the module imports it from there)."""
    tree = parse(new_text)
    if tree is None:
        return "does not parse"
    problem = compiles(new_text, tree)
    if problem is not None:
        return problem
    try:
        new = meanings(new_text, tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return f"cannot be analysed: {type(exc).__name__}"
    # 4. the module namespace
    for name in set(old.namespace) | set(new.namespace):
        before, after = old.namespace.get(name, frozenset()), new.namespace.get(name, frozenset())
        if before == after:
            continue
        if name in intents:
            if not _expected(intents[name], new.namespace, new.census.stars, name):
                return f"`{name}` at module level is not what the fix needs"
            continue
        if not after <= before or any(kind != "import" for kind, _, _ in before - after):
            return f"the fix changes the module-level bindings of `{name}`"
        exported = old.census.exported
        if exported is None or name in exported or not droppable(name):
            return f"the fix drops the import of `{name}`, which other modules may import from here"
    if new.census.stars != old.census.stars:
        return "the fix changes the star imports"
    # 2. every name keeps its meaning where it was used
    for key, before in old.resolved.items():
        after = new.resolved.get(key)
        if after is None or after == before:
            continue
        name = key[1]
        if name in intents and after == {_describe(new.namespace, new.census.stars, name)}:
            continue  # what the fix declared (checked against the namespace above)
        if (
            after < before
            and all(meaning[0] != "anon" for meaning in before - after)
            and new.census.refs.get(key, 0) < old.census.refs.get(key, 0)
        ):
            # uses of the scope itself removed: `x()` went, a comprehension's own `x` stays (the
            # meanings of a scope and of the anonymous scopes in it are one set per name)
            continue
        return f"`{name}` would mean something else in {key[0] or 'the module'}"
    # 3. references the fix adds
    old_refs, new_refs = old.census.refs, new.census.refs
    for key, count in new_refs.items():
        if count <= old_refs.get(key, 0):
            continue
        path, name = key
        where = new.resolved.get(key)
        if where is None:
            continue  # an annotation symtable does not look at
        # a new local of the scope: nothing there (nested scopes included) had that name
        fresh = key in new.bound and key not in old.bound and not any(
            k[1] == name and (k[0] == path or k[0].startswith(path + "/")) for k in old_refs
        )
        intent = intents.get(name)
        if intent is not None and not (intent.kind == "variable" and fresh):
            if where != frozenset([_describe(new.namespace, new.census.stars, name)]) or not _expected(
                intent, new.namespace, new.census.stars, name
            ):
                return f"`{name}` in {path or 'the module'} is not what the fix needs"
            continue
        if old_refs.get(key, 0) or fresh:
            continue  # a copy of an expression of this scope, or a new local
        return f"the fix uses `{name}` in {path or 'the module'} without knowing what it means there"
    return None
