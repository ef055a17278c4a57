"""The analysis core: source or tree in, diagnostics out.  Shared by flake8, the CLI and the fixer."""

from __future__ import annotations

import ast
import os
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .analysis.context import ModuleContext
from .analysis.served import drop_cli_commands, unserved
from .config import Settings
from .diagnostics import Diagnostic
from .noqa import filter_noqa
from .rules import blocking, bodies, middleware, resources, state
from .syntax_hint import bad_bytes, hint as newer_syntax_hint

if TYPE_CHECKING:  # pragma: no cover
    from .analysis.project import ProjectIndex

#: Rule families: modules with ``NEEDLES`` (prefilter) and ``check(ctx)``.
FAMILIES = (blocking, bodies, middleware, resources, state)


def check_tree(tree: ast.Module, settings: Settings, filename: str = "<unknown>",
               project: ProjectIndex | None = None) -> list[Diagnostic]:
    """Every enabled finding in an already parsed module, sorted by position.

    With ``project`` (the CLI's :class:`~.analysis.project.ProjectIndex`), FPF107 follows sync
    helpers into the project's other modules, and blocking calls in coroutines that the project
    only runs at startup/shutdown are not reported.  Without it (flake8), the module stands alone.

    Nothing is reported in a file no server runs (tests, scripts, docs examples: the
    ``unserved`` patterns, see ``analysis.served``).
    """
    if unserved(filename, settings):
        return []  # a project run has registered it: its calls are uses of the project's code
    ctx = ModuleContext(tree, settings, filename, project)
    found: list[Diagnostic] = []
    try:
        for family in FAMILIES:
            for diagnostic in family.check(ctx):
                if settings.is_enabled(diagnostic.code, filename):
                    found.append(diagnostic)
        if found:
            found = drop_cli_commands(ctx, found)
        if project is not None and found:
            found = project.drop_outside_requests(ctx, found)
    finally:
        if project is None:
            ctx.module.dispose()  # free the scopes now, not at the next cyclic GC (flake8: file after file)
    found.sort(key=Diagnostic.sort_key)
    return found


#: Internal errors that are no bug of one line of code, in plain words.
_REASONS = ((RecursionError, "expressions nested too deeply"), (MemoryError, "out of memory"))


def internal_error(exc: BaseException) -> str:
    """One line for an exception the analysis did not expect: ``internal error: KeyError: 'x'``,
    or for a RecursionError or MemoryError ``internal error: RecursionError (expressions nested
    too deeply)``.  The front ends add what became of the file."""
    name = type(exc).__name__
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return f"internal error: {name} ({reason})"
    lines = str(exc).strip().splitlines()
    return f"internal error: {name}: {lines[0]}" if lines else f"internal error: {name}"


def print_traceback(exc: BaseException) -> None:
    """With ``FASTAPI_PERF_TRACEBACK=1`` in the environment, the traceback of an internal error
    on stderr (for a bug report); else nothing."""
    if os.environ.get("FASTAPI_PERF_TRACEBACK", "") not in ("", "0") and sys.stderr is not None:
        try:
            traceback.print_exception(exc, file=sys.stderr)
        except (OSError, ValueError):
            pass


def internal_error_line(filename: str, exc: BaseException, what: str = "this file was not checked") -> str:
    """``path:1:1: FPF000 internal error: ...; <what>`` (and the traceback, see ``print_traceback``)."""
    print_traceback(exc)
    return f"{filename}:1:1: FPF000 {internal_error(exc)}; {what}"


def may_have_findings(source: bytes) -> bool:
    """The prefilter: False only when no family can find anything in ``source``."""
    return any(needle in source for family in FAMILIES for needle in family.NEEDLES)


@dataclass
class FileResult:
    filename: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None  # one line, "path:line:col: FPF000 ..."
    parsed: bool = False
    internal: bool = False  # the error is an internal error (a crash: not a result to keep)


def _syntax_error_line(filename: str, exc: SyntaxError) -> str:
    """``path:line:col: FPF000 cannot parse: ...``; names the Python version a newer construct needs."""
    line = max(exc.lineno or 1, 1)
    col = max(exc.offset or 1, 1)  # encoding errors say -1
    msg = (exc.msg or "invalid syntax").splitlines()[0] if (exc.msg or "").strip() else "invalid syntax"
    if "null bytes" in msg:
        msg = "source code contains NUL bytes (is it a binary file?)"
    else:
        try:
            hint = newer_syntax_hint(exc)
        except Exception:  # pragma: no cover - a hint is never worth a crash
            hint = None
        msg = hint or msg
    return f"{filename}:{line}:{col}: FPF000 cannot parse: {msg}"


def check_source(source: bytes, filename: str, settings: Settings, prefilter: bool = True,
                 project: ProjectIndex | None = None, on_disk: bool = False) -> FileResult:
    """Check one file's bytes as the command line does: prefilter, parse, rules, ``# noqa``.

    With ``project``, a file the index already parsed (for an importer) is not parsed again,
    and the tree parsed here is handed to the index for later importers.  ``on_disk``: ``source``
    is the file's text as read from it (not stdin): the index may then drop it and read it again.

    Never raises (but KeyboardInterrupt): an exception of the analysis, a RecursionError or a
    MemoryError included, is the file's one ``FPF000 internal error`` line, and the index
    forgets what it derived meanwhile (``ProjectIndex.discard``), so no other file's findings
    depend on how far this check got."""
    try:
        if project is None:
            return _check_source(source, filename, settings, prefilter, None)
        # on_disk: the file's own text; released also for a file skipped or not parsed (its
        # text may go); on an exception the index forgets what it derived meanwhile
        with project.checking(filename, source, on_disk=on_disk):
            return _check_source(source, filename, settings, prefilter, project)
    except Exception as exc:  # RecursionError and MemoryError are Exceptions too
        return FileResult(filename, error=internal_error_line(filename, exc), internal=True)


def _check_source(source: bytes, filename: str, settings: Settings, prefilter: bool,
                  project: ProjectIndex | None) -> FileResult:
    result = FileResult(filename)
    problem = bad_bytes(source)  # binary/undecodable: an error even when the prefilter would skip the file
    if problem is not None:
        line, col, message = problem
        result.error = f"{filename}:{line}:{col}: FPF000 cannot parse: {message}"
        return result
    if prefilter and not may_have_findings(source):
        return result
    try:
        tree = project.cached_tree(filename, source) if project is not None else None
        if tree is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings are the compiler's business, not ours
                tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        result.error = _syntax_error_line(filename, exc)
        return result
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes on older Pythons, bad encodings
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result.error = f"{filename}:1:1: FPF000 cannot parse: {detail}"
        return result
    except (RecursionError, MemoryError) as exc:  # Python's own parser gave up: it cannot be parsed
        result.error = f"{filename}:1:1: FPF000 cannot parse: {type(exc).__name__} (nesting too deep)"
        return result
    result.parsed = True
    if project is not None:
        project.register(filename, tree, source)
    diagnostics = check_tree(tree, settings, filename, project)
    if diagnostics:
        diagnostics = filter_noqa(diagnostics, source, tree)
    result.diagnostics = diagnostics
    return result
