"""Apply fixes to one file's source: LibCST in, bytes out, never an output that does not parse."""

from __future__ import annotations

import ast
import warnings
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
from ..diagnostics import Diagnostic, byte_col_to_char_col
from . import load_fixers, report_swallowed

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.project import ProjectIndex

#: Enough for fixes that enable other fixes (drop `async`, then nothing left to wrap).
MAX_PASSES = 6


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


class FixContext:
    """What a fixer may ask about the file it fixes."""

    def __init__(self, module: cst.Module, source: bytes, settings: Settings, filename: str) -> None:
        self.module = module
        self.settings = settings
        self.filename = filename
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
        self._source = source
        self._ast: ModuleContext | None = None

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

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- facts from the ast pass --------------------------------------------------------------
    @property
    def ast(self) -> ModuleContext:
        """The ``ast`` analysis of the same source (names, types, FastAPI roles)."""
        if self._ast is None:
            self._ast = ModuleContext(ast.parse(self._source), self.settings, self.filename)
        return self._ast

    # -- imports -----------------------------------------------------------------------------
    def add_import(self, module: str, name: str | None = None) -> None:
        """``import module`` (name None) or ``from module import name``, added once if applied."""
        self._imports.append((module, name))

    def drop_import_if_unused(self, module: str, name: str | None = None, asname: str | None = None) -> None:
        """Remove ``import module`` / ``from module import name [as asname]`` if the fix left it unused."""
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
        qualified = self.ast.module.imports.get(alias)
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

    def name_for(self, qualified: str) -> str | None:
        """How this module already spells ``qualified`` (``run_in_threadpool``, ``asyncio.sleep``)."""
        for alias, target in self.ast.module.imports.items():
            if target == qualified:
                return alias
            if qualified.startswith(target + "."):
                return alias + qualified[len(target):]
        return None


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
    return _Proposal(diagnostic, list(replacements), list(ctx._imports), list(ctx._unused), start, end, spans)


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


def parses(source: bytes | str) -> bool:
    """``source`` compiles (warnings silenced)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fixed>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


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
        ctx = FixContext(module, current, settings, filename)
        proposals = [p for d in candidates if (p := _propose(ctx, d, fixers[d.code][0])) is not None]
        chosen = _choose(proposals)
        if not chosen:
            break
        new = _apply(module, chosen)
        if not parses(new):
            # Apply them one at a time on the same tree; keep the first that leaves a file that
            # parses (the others are re-evaluated on the next pass); never retry one that broke it.
            new, kept = current, []
            for proposal in chosen:
                candidate = _apply(module, [proposal])
                if parses(candidate):
                    new, kept = candidate, [proposal]
                    break
                failed.add((proposal.diagnostic.code, proposal.diagnostic.line, proposal.diagnostic.col))
            chosen = kept
        if new == current:
            break
        fixed.extend(p.diagnostic for p in chosen)
        current = new
    final = check_source(current, filename, settings, project=project)
    if final.error:  # cannot happen: every step was checked to parse; keep the user's file anyway
        return FixOutcome(source, error=f"{filename}:1:1: FPF000 fix produced unparsable output; file left unchanged")
    outcome = FixOutcome(current, fixed=fixed, remaining=final.diagnostics)
    if not unsafe:
        unsafe_candidates = [d for d in final.diagnostics if d.code in fixers and fixers[d.code][1] == "unsafe"]
        if unsafe_candidates:
            try:
                ctx = FixContext(cst.parse_module(current), current, settings, filename)
                outcome.unsafe_available = sum(
                    1 for d in unsafe_candidates if _propose(ctx, d, fixers[d.code][0]) is not None
                )
            except (cst.ParserSyntaxError, RecursionError, ValueError):
                pass
    return outcome
