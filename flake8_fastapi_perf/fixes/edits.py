"""Each finding's fix as text edits, for output formats that show fixes (JSON, SARIF, ``full``).

The fixers work on LibCST trees; formats want ruff's shape: a message, an applicability and the
minimal text replacements.  For one file, every finding whose rule has a fixer is proposed on its
own (exactly as the engine would), applied alone to the original tree, and the old and new texts
are diffed into edits: usually one, more when the fix also adds or removes an import.  Each fix is
relative to the original source, independent of the others (as ruff's are).

Imported only when an output format needs fixes and the file has a finding whose rule has one:
importing this module imports LibCST.
"""

from __future__ import annotations

import bisect
import difflib
import inspect
from collections.abc import Sequence
from dataclasses import replace

from typing import TYPE_CHECKING

import libcst as cst

from ..config import Settings
from ..diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    Fix,
    char_col_to_byte_col,
    decode_source,
    line_starts,
    split_lines,
)
from . import load_fixers, report_swallowed
from .engine import Checker, FixContext, Replacement, _apply, _propose, _Replacer

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.project import ProjectIndex

#: A replacement shown in the message as ``Replace `old` with `new``` when both are at most this long.
_SHORT = 60


def compute_fixes(
    source: bytes, filename: str, settings: Settings, diagnostics: Sequence[Diagnostic],
    project: ProjectIndex | None = None,
) -> list[Fix | None]:
    """The fix of each diagnostic (``None`` where its rule has no fixer or the fixer declines),
    in the order given.  The diagnostics must be those of ``source``.  Never raises for a bad file
    or a fixer bug: that finding simply has no fix."""
    fixes: list[Fix | None] = [None] * len(diagnostics)
    fixers = load_fixers()
    wanted = [i for i, d in enumerate(diagnostics) if d.code in fixers]
    if not wanted:
        return fixes
    try:
        module = cst.parse_module(source)
        ctx = FixContext(module, source, settings, filename, project)
        checker = Checker(source, ctx)
    except (RecursionError, MemoryError):  # too deep or too large to rewrite: no fixes, findings stay
        return fixes
    except Exception:  # LibCST cannot parse it (or a fixer context bug): no fixes, findings stay
        report_swallowed(filename, 1, 0, "LibCST parse or fix context, for the fix edits")
        return fixes
    if checker.problem is not None:
        return fixes  # the file does not compile as it is: nothing can be checked against it
    old_text = decode_source(source)
    fast = _FastPath(module, ctx, old_text, checker)
    for index in wanted:
        diagnostic = diagnostics[index]
        function, applicability = fixers[diagnostic.code]
        try:
            proposal = _propose(ctx, diagnostic, function)
            if proposal is None:
                continue
            edits = fast.edits(proposal)
            if edits is None:  # the exact way: the engine applies this one proposal to the file
                new_source = _apply(module, [proposal])
                if new_source == source or not checker.accepts(new_source, [proposal]):
                    continue
                edits = text_edits(old_text, decode_source(new_source))
        except (RecursionError, MemoryError):
            continue
        except Exception:  # a fixer or LibCST bug costs this finding its fix, nothing more
            report_swallowed(filename, diagnostic.line, diagnostic.col, f"{diagnostic.code} fix edits")
            continue
        if not edits:
            continue
        fixes[index] = Fix(
            message=_message(ctx, proposal.replacements, function),
            applicability=Applicability(applicability),
            edits=tuple(edits),
        )
    return fixes


def with_fixes(
    source: bytes, filename: str, settings: Settings, diagnostics: Sequence[Diagnostic],
    project: ProjectIndex | None = None,
) -> list[Diagnostic]:
    """The diagnostics with ``.fix`` set where a fix is available."""
    fixes = compute_fixes(source, filename, settings, diagnostics, project)
    return [d if f is None else replace(d, fix=f) for d, f in zip(diagnostics, fixes)]


# -- the fast path --------------------------------------------------------------------------------

class _FastPath:
    """The same edits as applying one proposal with the engine, without re-running LibCST's import
    codemods over the whole module for every finding (seconds each on a large file).

    A proposal's replacements are applied to the top-level statements that contain them only;
    the imports it adds are the edits ``AddImportsVisitor`` makes to the original module (computed
    once per set of imports).  That is exactly what the engine produces when, if the fix adds
    imports, no changed top-level statement is an import or precedes the added imports, and every import the fix
    asks to drop "if unused" is still used afterwards (then dropping is a no-op); otherwise
    :meth:`edits` returns None and the caller takes the exact, slow way.
    """

    def __init__(self, module: cst.Module, ctx: FixContext, text: str, checker: Checker) -> None:
        self.module, self.ctx, self.text, self.checker = module, ctx, text, checker
        self.ok = module.code == text
        self.spans: dict[cst.CSTNode, tuple[int, int]] = {}  # top-level statement -> its text span
        if self.ok:
            offset = sum(len(module.code_for_node(h)) for h in module.header)
            for stmt in module.body:
                code = module.code_for_node(stmt)
                if text.startswith(code, offset):
                    self.spans[stmt] = (offset, offset + len(code))
                offset += len(code)
        self._import_spans: dict[tuple, list[tuple[int, int, str]] | None] = {}
        self._scope = None

    def _top(self, node: cst.CSTNode) -> cst.CSTNode | None:
        if node in self.spans:
            return node
        for ancestor in self.ctx.ancestors(node):
            if ancestor in self.spans:
                return ancestor
        return None

    def edits(self, proposal) -> list[Edit] | None:  # type: ignore[no-untyped-def]
        if not self.ok:
            return None
        groups: dict[cst.CSTNode, dict[cst.CSTNode, object]] = {}
        for replacement in proposal.replacements:
            top = self._top(replacement.old)
            if top is None or (proposal.imports and _is_import(top)):
                return None
            groups.setdefault(top, {})[replacement.old] = replacement.new
        if proposal.unused and not all(self._still_used(entry, proposal.replacements) for entry in proposal.unused):
            return None
        spans: list[tuple[int, int, str]] = []
        first = min(self.spans[top][0] for top in groups)
        if proposal.imports:
            added = self._added_imports(tuple(dict.fromkeys(proposal.imports)))
            if added is None or any(end > first for _, end, _ in added):
                return None
            spans.extend(added)
        for top, mapping in groups.items():
            new = top.visit(_Replacer(mapping))
            start, end = self.spans[top]
            spans.extend(_diff_spans(self.text, start, end, _node_code(self.module, new)))
        spans.sort(key=lambda s: (s[0], s[1]))
        new_text = _splice(self.text, spans)
        if new_text == self.text or not self.checker.accepts(new_text, [proposal]):
            return None
        return _to_edits(self.text, spans)

    def _added_imports(self, imports: tuple) -> list[tuple[int, int, str]] | None:
        if imports not in self._import_spans:
            from libcst.codemod import CodemodContext
            from libcst.codemod.visitors import AddImportsVisitor

            context = CodemodContext()
            for module_name, name in imports:
                AddImportsVisitor.add_needed_import(context, module_name, name)
            try:
                code = AddImportsVisitor(context).transform_module(self.module).code
                spans = _diff_spans(self.text, 0, len(self.text), code)
            except Exception:
                report_swallowed(self.ctx.filename, 1, 0, "added imports, for the fix edits")
                spans = None
            self._import_spans[imports] = spans
        return self._import_spans[imports]

    def _still_used(self, entry: tuple, replacements: list[Replacement]) -> bool:
        """Whether the name the import ``entry`` binds is referenced after the replacements."""
        module_name, name, asname = entry
        if asname is None and name is None and "." in module_name:
            return False  # `import a.b`: leave it to the exact way
        bound = asname or name or module_name
        if self._scope is None:
            from libcst.metadata import ScopeProvider

            self._scope = self.ctx.wrapper.resolve(ScopeProvider).get(self.module)
        scope = self._scope
        if scope is None or bound not in scope.assignments:
            return False
        replaced: set[int] = set()
        for replacement in replacements:
            replaced.update(id(n) for n in _subtree(replacement.old))
            if bound in _names(replacement.new):
                return False  # the new code may use or rebind it: leave it to the exact way
        # references outside the replaced code are still there after the fix
        return any(
            id(access.node) not in replaced
            for assignment in scope.assignments[bound]
            for access in assignment.references
        )


def _is_import(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _names(node: object) -> set[str]:
    """The ``Name`` values in ``node``'s subtree, except attribute names (``x.sleep``)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.FlattenSentinel):
            stack.extend(current.nodes)
        elif isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)
        elif isinstance(current, cst.CSTNode):
            stack.extend(current.children)
    return found


def _subtree(node: object) -> list[cst.CSTNode]:
    if isinstance(node, cst.FlattenSentinel):
        return [n for child in node.nodes for n in _subtree(child)]
    if not isinstance(node, cst.CSTNode):
        return []
    found: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found


def _node_code(module: cst.Module, node: object) -> str:
    if isinstance(node, cst.FlattenSentinel):
        return "".join(_node_code(module, n) for n in node.nodes)
    if isinstance(node, cst.CSTNode):
        return module.code_for_node(node)
    return ""  # RemovalSentinel


# -- diffing ----------------------------------------------------------------------------------

def text_edits(old: str, new: str) -> list[Edit]:
    """Minimal replacements turning ``old`` into ``new``: one per changed region, each trimmed
    to the characters that differ, with ast positions (1-based line, UTF-8 byte column) in ``old``."""
    if old == new:
        return []
    return _to_edits(old, _diff_spans(old, 0, len(old), new))


def _diff_spans(old: str, start: int, end: int, new: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` replacements (character offsets into ``old``) that turn
    ``old[start:end]`` into ``new``."""
    segment = old[start:end]
    if segment == new:
        return []
    old_lines = segment.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    old_offsets = _offsets(old_lines)
    new_offsets = _offsets(new_lines)
    spans = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a_start, a_end = old_offsets[i1], old_offsets[i2]
        b_start, b_end = new_offsets[j1], new_offsets[j2]
        # trim the characters both sides share
        while a_start < a_end and b_start < b_end and segment[a_start] == new[b_start]:
            a_start += 1
            b_start += 1
        while a_end > a_start and b_end > b_start and segment[a_end - 1] == new[b_end - 1]:
            a_end -= 1
            b_end -= 1
        # never split a "\r\n" (a position between the two has no line/column)
        if 0 < a_start < len(segment) and segment[a_start - 1] == "\r" and segment[a_start] == "\n":
            a_start -= 1
            b_start -= 1
        if 0 < a_end < len(segment) and segment[a_end - 1] == "\r" and segment[a_end] == "\n":
            a_end += 1
            b_end += 1
        spans.append((start + a_start, start + a_end, new[b_start:b_end]))
    return spans


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, cursor = [], 0
    for start, end, content in spans:  # sorted, not overlapping
        if start < cursor:
            raise ValueError("overlapping edits")
        out += [text[cursor:start], content]
        cursor = end
    return "".join(out) + text[cursor:]


def _to_edits(old: str, spans: list[tuple[int, int, str]]) -> list[Edit]:
    starts = line_starts(old)
    lines = split_lines(old)
    edits = []
    for a_start, a_end, content in spans:
        start = _position(starts, lines, a_start)
        end = _position(starts, lines, a_end)
        edits.append(Edit(content, start[0], start[1], end[0], end[1]))
    return edits


def _offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def _position(starts: list[int], lines: list[str], offset: int) -> tuple[int, int]:
    """The ast position (1-based line, UTF-8 byte column) of a character offset."""
    row = bisect.bisect_right(starts, offset)  # 1-based
    char_col = offset - starts[row - 1]
    text = lines[row - 1] if row <= len(lines) else ""
    return row, char_col_to_byte_col(text, char_col)


# -- messages ---------------------------------------------------------------------------------

def _code(ctx: FixContext, node: object) -> str:
    if isinstance(node, cst.RemovalSentinel):
        return ""
    if isinstance(node, cst.FlattenSentinel):
        return "".join(_code(ctx, n) for n in node.nodes)
    if isinstance(node, cst.CSTNode):
        return ctx.module.code_for_node(node).strip()
    return ""


def _message(ctx: FixContext, replacements: list[Replacement], function: object) -> str:
    """One line: ``Replace `time.sleep(1)` with `await asyncio.sleep(1)``` for a short one-line
    change, else the fixer's own summary (its docstring's first sentence)."""
    first = replacements[0]
    old, new = _code(ctx, first.old), _code(ctx, first.new)
    one_line = "\n" not in old and "\n" not in new
    if len(replacements) == 1 and one_line and len(old) <= _SHORT and len(new) <= _SHORT:
        return f"Replace `{old}` with `{new}`" if new else f"Remove `{old}`"
    doc = inspect.getdoc(function) or ""
    summary = " ".join(doc.split("\n\n", 1)[0].split()).replace("``", "`")
    if summary:
        return f"Rewrite: {summary.rstrip('.')}"
    head = old.splitlines()[0] if old else ""
    if len(head) > _SHORT:
        head = head[: _SHORT - 3] + "..."
    return f"Rewrite `{head}`" if head else "Apply the automatic fix"
