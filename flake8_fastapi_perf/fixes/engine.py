"""Apply fixes to one file's source: LibCST in, bytes out, never an output that does not compile
or that changes what a name means (:mod:`.safety`)."""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from ..analysis.context import ModuleContext
from ..checker import check_source
from ..config import Settings
from ..diagnostics import Diagnostic, byte_col_to_char_col, decode_source
from . import load_fixers, report_swallowed
from .safety import Census, Intent, Meanings, census, compiles, meanings, parse, verify

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.project import ProjectIndex

#: Enough for fixes that enable other fixes (drop `async`, then nothing left to wrap).
MAX_PASSES = 6
#: Check every fixed text with :func:`.safety.verify` (compiles, every name keeps its meaning).
#: Only the property tests turn it off, to see what the fixers write on their own.
VERIFY = True


@dataclass(frozen=True)
class Replacement:
    """Replace ``old`` (a node of the current tree) with ``new``."""

    old: cst.CSTNode
    new: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel


@dataclass
class _Proposal:
    diagnostic: Diagnostic
    replacements: list[Replacement]
    imports: list[tuple[str, str | None]]
    unused: list[tuple[str, str | None, str | None]]
    start: tuple[int, int]
    end: tuple[int, int]
    spans: list[tuple[tuple[int, int], tuple[int, int]]]  # one (start, end) per replacement
    intents: dict[str, Intent] = field(default_factory=dict)  # the names the fix relies on


class FixContext:
    """What a fixer may ask about the file it fixes."""

    def __init__(self, module: cst.Module, source: bytes, settings: Settings, filename: str,
                 project: ProjectIndex | None = None) -> None:
        self.module = module
        self.settings = settings
        self.filename = filename
        self.project = project
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions: dict[cst.CSTNode, CodeRange] = dict(self.wrapper.resolve(PositionProvider))
        self.parents: dict[cst.CSTNode, cst.CSTNode] = dict(self.wrapper.resolve(ParentNodeProvider))
        self.lines = module.code.splitlines()
        self._starts: dict[tuple[int, int], list[cst.CSTNode]] = {}
        for node, where in self.positions.items():
            self._starts.setdefault((where.start.line, where.start.column), []).append(node)
        for nodes in self._starts.values():
            nodes.sort(key=lambda n: (self.positions[n].end.line, self.positions[n].end.column), reverse=True)
        self._imports: list[tuple[str, str | None]] = []
        self._unused: list[tuple[str, str | None, str | None]] = []
        self._intents: dict[str, Intent] = {}
        self._source = source
        self._ast: ModuleContext | None = None
        self._census: Census | None = None
        self._droppable: dict[str, bool] = {}

    # -- positions --------------------------------------------------------------------------
    def char_col(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return byte_col_to_char_col(text, byte_col)

    def nodes_at(self, diagnostic: Diagnostic) -> list[cst.CSTNode]:
        """The nodes that start where the diagnostic starts, outermost first."""
        key = (diagnostic.line, self.char_col(diagnostic.line, diagnostic.col))
        return self._starts.get(key, [])

    def node_at(self, diagnostic: Diagnostic, *types: type) -> cst.CSTNode | None:
        for node in self.nodes_at(diagnostic):
            if isinstance(node, types):
                return node
        return None

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterable[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
        return None

    def await_allowed(self, node: cst.CSTNode) -> bool:
        """An ``await`` (or ``async for``) in the place of ``node`` would run in the body of an
        ``async def`` itself: not in a lambda, a generator expression (it would become an async
        generator), a class body, a sync ``def``, a decorator, default or annotation, and not
        while a ``with`` block holds a (thread) lock.  (A list, set or dict comprehension in the
        coroutine may await: it is run on the spot.)"""
        child = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.Lambda, cst.GeneratorExp, cst.ClassDef)):
                return False
            if isinstance(ancestor, cst.FunctionDef):
                return child is ancestor.body and ancestor.asynchronous is not None
            if (
                isinstance(ancestor, cst.With)
                and child is ancestor.body
                and ancestor.asynchronous is None
                and any("lock" in self.code(item.item).lower() for item in ancestor.items)
            ):
                return False  # an await under a held threading.Lock can deadlock the loop
            child = ancestor
        return False

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- facts from the ast pass --------------------------------------------------------------
    @property
    def ast(self) -> ModuleContext:
        """The ``ast`` analysis of the same source (names, types, FastAPI roles)."""
        if self._ast is None:
            self._ast = ModuleContext(ast.parse(self._source), self.settings, self.filename)
        return self._ast

    # -- names -------------------------------------------------------------------------------
    @property
    def census(self) -> Census:
        """Every identifier of the file and every binding of it (:class:`.safety.Census`)."""
        if self._census is None:
            self._census = census(self.ast.module.tree)
        return self._census

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def declare(self, name: str, intent: Intent) -> None:
        """The fix relies on ``name`` being ``intent`` (checked by :func:`.safety.verify`)."""
        self._intents[name] = intent

    def builtin(self, name: str) -> bool:
        """``name`` is the builtin everywhere in the module (declared if so)."""
        if not self.census.is_builtin(name):
            return False
        self.declare(name, Intent("builtin"))
        return True

    def spelling(self, qualified: str | tuple[str, ...], at: cst.CSTNode | int | None,
                 add: tuple[tuple[str, str | None], ...] = (), through_modules: bool = True) -> str | None:
        """How to write ``qualified`` (one dotted name, or equivalent ones) at ``at`` (a node or
        a line) so that it means exactly that, or None.

        First through an import the module has, when every binding of its name in the module
        (in any scope) is that import and one is a top-level statement that runs before ``at``
        (an import only under ``if TYPE_CHECKING:``, only inside a function, or a name also
        assigned, passed or looped over is not one); then through an import of ``add`` (``(module,
        None)``: ``import module``; ``(module, name)``: ``from module import name``) added under a
        name the module does not use.  The name is declared to the verifier either way.
        ``through_modules=False``: only an import of ``qualified`` itself (``lru_cache``, not
        ``functools.lru_cache``)."""
        wanted = (qualified,) if isinstance(qualified, str) else qualified
        line = at if isinstance(at, int) or at is None else self.line(at)
        known = self.census
        for name, bindings in known.bindings.items():
            for binding in bindings:
                if binding.kind != "import" or binding.target is None:
                    continue
                target = binding.target
                for q in wanted:
                    if q == target:
                        spelt = name
                    elif through_modules and q.startswith(target + "."):
                        rest = q[len(target) + 1:]
                        if "." in rest and f"{target}.{rest.rpartition('.')[0]}" not in known.modules:
                            continue  # `import fastapi` does not promise `fastapi.concurrency`
                        spelt = f"{name}.{rest}"
                    else:
                        continue
                    if known.usable_import(name, target, line):
                        self.declare(name, Intent("import", target))
                        return spelt
                break  # the first binding of a name is enough to judge it
        for module, name in add:
            bound, target = (name, f"{module}.{name}") if name else (module.partition(".")[0], module.partition(".")[0])
            if not known.can_import(bound, target):
                continue
            spelt = name if name else next((q for q in wanted if q.startswith(module + ".")), None)
            if spelt is None:
                continue
            self.add_import(module, name)
            self.declare(bound, Intent("import", target))
            return spelt
        return None

    def fresh_local(self, function: cst.FunctionDef, candidates: Iterable[str]) -> str | None:
        """A name for a new local of ``function``: nothing in it (nested scopes included) is
        called that, so no reference there changes meaning."""
        used = _names(function)
        return next((c for c in candidates if c not in used), None)

    # -- imports -----------------------------------------------------------------------------
    def add_import(self, module: str, name: str | None = None) -> None:
        """``import module`` (name None) or ``from module import name``, added once if applied.
        Fixers call :meth:`spelling`, which checks the name is free first."""
        self._imports.append((module, name))

    def may_drop_import(self, bound: str) -> bool:
        """The import binding ``bound`` may be removed when the fix leaves it unused: the module is
        not a package's ``__init__``, does not list it in ``__all__``, and no other module of the
        project imports it from this one."""
        found = self._droppable.get(bound)
        if found is None:
            found = _droppable(self, bound)
            self._droppable[bound] = found
        return found

    def drop_import_if_unused(self, module: str, name: str | None = None, asname: str | None = None) -> None:
        """Remove ``import module`` / ``from module import name [as asname]`` if the fix left it unused."""
        bound = asname or name or module.partition(".")[0]
        if self.may_drop_import(bound):
            self._unused.append((module, name, asname))

    def drop_imports_of(self, expr: cst.BaseExpression) -> None:
        """Remove the import that the root name of ``expr`` (``pause`` in ``pause(1)``, ``t`` in
        ``t.sleep(1)``) comes from, if the fix left it unused."""
        root = expr
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return
        alias = root.value
        bindings = self.census.bindings.get(alias, [])
        if len(bindings) != 1 or bindings[0].kind != "import" or not bindings[0].top:
            return
        qualified = bindings[0].target
        if qualified is None or qualified.startswith("."):
            return
        if "." in qualified:
            module, name = qualified.rsplit(".", 1)
            self.drop_import_if_unused(module, name, alias if alias != name else None)
        self.drop_import_if_unused(qualified, None, alias if alias != qualified else None)

    def threadpool_module(self) -> str:
        """``fastapi.concurrency``, or ``starlette.concurrency`` in Starlette-only modules."""
        imports = self.ast.module.imports.values()
        if not any(q.startswith("fastapi") for q in imports) and any(q.startswith("starlette") for q in imports):
            return "starlette.concurrency"
        return "fastapi.concurrency"


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Names())
    return found


def _droppable(ctx: FixContext, bound: str) -> bool:
    if os.path.basename(ctx.filename) == "__init__.py":
        return False  # a package re-exports what it imports
    exported = ctx.census.exported
    if exported is None or bound in exported:
        return False
    from ..analysis.importers import imported_elsewhere

    return not imported_elsewhere(ctx.filename, bound)


@dataclass
class FixOutcome:
    source: bytes  # the fixed source (the original when nothing changed)
    fixed: list[Diagnostic] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)
    unsafe_available: int = 0
    error: str | None = None  # one line: the file could not be fixed (it is left as it was)


def _allowed(diagnostic: Diagnostic, fixers: dict, unsafe: bool) -> bool:
    entry = fixers.get(diagnostic.code)
    return entry is not None and (entry[1] == "safe" or unsafe)


def _propose(ctx: FixContext, diagnostic: Diagnostic, function: Callable) -> _Proposal | None:
    ctx._imports = []
    ctx._unused = []
    ctx._intents = {}
    try:
        replacements = function(ctx, diagnostic)
    except Exception:  # a fixer bug must never cost the user a file: no fix for this finding
        report_swallowed(ctx.filename, diagnostic.line, diagnostic.col, diagnostic.code)
        return None
    if not replacements:
        return None
    ranges = [ctx.positions[r.old] for r in replacements if r.old in ctx.positions]
    if len(ranges) != len(replacements):
        return None
    spans = [((r.start.line, r.start.column), (r.end.line, r.end.column)) for r in ranges]
    start = min(span[0] for span in spans)
    end = max(span[1] for span in spans)
    return _Proposal(diagnostic, list(replacements), list(ctx._imports), list(ctx._unused), start, end, spans,
                     dict(ctx._intents))


def _choose(proposals: list[_Proposal]) -> list[_Proposal]:
    """Proposals whose replacements do not overlap; where two overlap, the one with the larger
    replacement wins (deterministically) and the other is re-evaluated on the next pass."""
    def size(p: _Proposal) -> tuple[int, int]:
        return max(
            (end[0] - start[0], end[1] - start[1] if end[0] == start[0] else 10**6) for start, end in p.spans
        )

    def overlaps(a: _Proposal, b: _Proposal) -> bool:
        return any(
            not (a_end <= b_start or a_start >= b_end) for a_start, a_end in a.spans for b_start, b_end in b.spans
        )

    ordered = sorted(proposals, key=lambda p: (size(p), (-p.start[0], -p.start[1])), reverse=True)
    chosen: list[_Proposal] = []
    for proposal in ordered:
        if not any(overlaps(proposal, other) for other in chosen):
            chosen.append(proposal)
    return sorted(chosen, key=lambda p: p.start)


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, object]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        replacement = self.replacements.get(original_node)
        return updated_node if replacement is None else replacement


def _apply(module: cst.Module, proposals: list[_Proposal]) -> bytes:
    mapping: dict[cst.CSTNode, object] = {}
    imports: list[tuple[str, str | None]] = []
    unused: list[tuple[str, str | None, str | None]] = []
    for proposal in proposals:
        for replacement in proposal.replacements:
            mapping[replacement.old] = replacement.new
        imports.extend(proposal.imports)
        unused.extend(proposal.unused)
    new = module.visit(_Replacer(mapping))
    if unused:
        context = CodemodContext()
        for module_name, name, asname in dict.fromkeys(unused):
            RemoveImportsVisitor.remove_unused_import(context, module_name, name, asname)
        new = RemoveImportsVisitor(context).transform_module(new)
    if imports:
        context = CodemodContext()
        for module_name, name in dict.fromkeys(imports):
            AddImportsVisitor.add_needed_import(context, module_name, name)
        new = AddImportsVisitor(context).transform_module(new)
    return new.bytes


class Checker:
    """Checks fixed versions of one text against it (:func:`.safety.verify`)."""

    def __init__(self, source: bytes, ctx: FixContext) -> None:
        self.ctx = ctx
        tree = ctx.ast.module.tree
        #: why the text itself cannot be fixed (it does not compile), or None
        self.problem = compiles(source, tree)
        self._meanings: Meanings | None = None
        if self.problem is None:
            try:
                self._meanings = meanings(decode_source(source), tree)
            except (SyntaxError, ValueError) as exc:
                self.problem = f"cannot be analysed: {exc}"

    def accepts(self, new: bytes | str, proposals: Iterable[_Proposal]) -> bool:
        """``new`` (the text with ``proposals`` applied) compiles and keeps every meaning."""
        if not VERIFY:
            return parse(new) is not None
        if self._meanings is None:
            return False
        intents: dict[str, Intent] = {}
        for proposal in proposals:
            for name, intent in proposal.intents.items():
                if intents.setdefault(name, intent) != intent:
                    return False  # two fixes want one name to mean two things
        text = decode_source(new) if isinstance(new, bytes) else new
        reason = verify(self._meanings, text, intents, self.ctx.may_drop_import)
        if reason is not None and os.environ.get("FASTAPI_PERF_DEBUG_FIXERS"):
            names = ", ".join(p.diagnostic.code for p in proposals)
            print(f"{self.ctx.filename}: FPF000 fix refused ({names}): {reason}", file=sys.stderr)
        return reason is None


def fix_source(source: bytes, filename: str, settings: Settings, unsafe: bool = False,
               project: ProjectIndex | None = None, on_disk: bool = False) -> FixOutcome:
    """Fix one file.  The result always parses; on any problem the source is returned unchanged.

    With ``project`` (the command line's index), the findings fixed and the ones left are those
    ``fastapi-perf check`` reports (cross-module FPF107, startup-only coroutines left alone).
    The index is left holding ``source``, the text the run read: every file of a run is fixed
    against the project as it was when the run started, never against the fixed text of a file
    fixed earlier (that would make the result depend on the order of the files and, with
    ``--jobs``, on which worker fixed which file, and ``--diff`` differ from ``--fix``).
    ``on_disk``: ``source`` is the file's text (not stdin), which the index may read again."""
    try:
        return _fix_source(source, filename, settings, unsafe, project)
    finally:
        if project is not None:
            # a no-op unless a pass checked another text; on_disk: ``source`` is the file's text
            project.update_source(filename, source, on_disk=on_disk)


def _fix_source(source: bytes, filename: str, settings: Settings, unsafe: bool,
                project: ProjectIndex | None) -> FixOutcome:
    try:
        return _fix_passes(source, filename, settings, unsafe, project)
    except (RecursionError, MemoryError) as exc:
        what = "nested too deeply" if isinstance(exc, RecursionError) else "too large"
        return FixOutcome(source, error=f"{filename}:1:1: FPF000 not fixed: the code is {what} to rewrite "
                                        f"safely ({type(exc).__name__}); the file is left as it was")


def _fix_passes(source: bytes, filename: str, settings: Settings, unsafe: bool,
                project: ProjectIndex | None) -> FixOutcome:
    fixers = load_fixers()
    current = source
    fixed: list[Diagnostic] = []
    failed: set[tuple[str, int, int]] = set()  # findings whose fix broke the file: not retried
    for _ in range(MAX_PASSES):
        result = check_source(current, filename, settings, project=project)
        if result.error:
            return FixOutcome(source, error=result.error)
        candidates = [
            d for d in result.diagnostics
            if _allowed(d, fixers, unsafe) and (d.code, d.line, d.col) not in failed
        ]
        if not candidates:
            break
        try:
            module = cst.parse_module(current)
        except (cst.ParserSyntaxError, RecursionError, ValueError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return FixOutcome(source, error=f"{filename}:1:1: FPF000 cannot fix: LibCST cannot parse it: {message}")
        ctx = FixContext(module, current, settings, filename, project)
        checker = Checker(current, ctx)
        if checker.problem is not None:
            if current == source:
                return FixOutcome(source, error=f"{filename}:1:1: FPF000 not fixed: the file {checker.problem}")
            break  # cannot happen: every pass was verified to compile
        proposals = [p for d in candidates if (p := _propose(ctx, d, fixers[d.code][0])) is not None]
        chosen = _choose(proposals)
        if not chosen:
            break
        new = _apply(module, chosen)
        if not checker.accepts(new, chosen):
            # Apply them one at a time on the same tree; keep the first that passes (the others
            # are re-evaluated on the next pass); never retry one that failed.
            new, kept = current, []
            for proposal in chosen:
                candidate = _apply(module, [proposal])
                if checker.accepts(candidate, [proposal]):
                    new, kept = candidate, [proposal]
                    break
                failed.add((proposal.diagnostic.code, proposal.diagnostic.line, proposal.diagnostic.col))
            chosen = kept
        if new == current:
            break
        fixed.extend(p.diagnostic for p in chosen)
        current = new
    final = check_source(current, filename, settings, project=project)
    if final.error:  # cannot happen: every step was checked to compile; keep the user's file anyway
        return FixOutcome(source, error=f"{filename}:1:1: FPF000 fix produced unparsable output; file left unchanged")
    outcome = FixOutcome(current, fixed=fixed, remaining=final.diagnostics)
    if not unsafe:
        unsafe_candidates = [d for d in final.diagnostics if d.code in fixers and fixers[d.code][1] == "unsafe"]
        if unsafe_candidates:
            try:
                ctx = FixContext(cst.parse_module(current), current, settings, filename, project)
                outcome.unsafe_available = sum(
                    1 for d in unsafe_candidates if _propose(ctx, d, fixers[d.code][0]) is not None
                )
            except (cst.ParserSyntaxError, RecursionError, ValueError):
                pass
    return outcome
