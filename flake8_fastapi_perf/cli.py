"""``fastapi-perf``: the analysis core without flake8.

    fastapi-perf check [PATHS...]     report findings (exit 0 clean, 1 findings, 2 error)
    fastapi-perf check --fix          apply safe fixes (--unsafe-fixes: all; --diff: show, write nothing)
    fastapi-perf-fix [PATHS...]       the same as check --fix
    fastapi-perf rule FPF101          print a rule's documentation
    fastapi-perf rule --all           list every rule

    --output-format concise|full|json|json-lines|github|sarif   (check; default concise, or
                                      ``output-format`` in [tool.fastapi-perf])
    --statistics                      a count per code instead of the findings
    rule --output-format json         the rule(s) as JSON, like ``ruff rule --output-format json``

Exit codes: 0 nothing found, 1 findings, 2 any error: a usage or configuration error, a file that
cannot be read or parsed, an internal error (a crash) in one file, output that cannot be written.
A file's problem is one ``path:line:col: FPF000 ...`` line on stderr and the other files are
still checked; an internal error prints its traceback too when ``FASTAPI_PERF_TRACEBACK=1``.
Every line on stderr and every text format shows control characters in file names escaped.
"""

from __future__ import annotations

import argparse
import gc
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from . import __version__
from .config import ConfigError, Settings, load_pyproject_cached, parse_codes, settings_for_directory
from .fileio import DEFAULT_FIX_MAX_SIZE, WriteRefused, format_size, parse_size, write_atomic
from .diagnostics import Diagnostic, decode_source
from .discovery import iter_python_files
from .output import FORMATS, HUMAN, NEEDS_FIXES, Finding, Options, escape, project_root

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


# -- the standard streams ------------------------------------------------------------------------

class OutputError(Exception):
    """stdout cannot be written (closed, or failing): the run's output is lost (exit 2)."""


_stdout_gone = False  # the reader of stdout went away (a broken pipe): the rest is dropped


def write_stdout(data: str | bytes) -> None:
    """Write ``data`` to stdout, now.  A reader that went away (``check | head``: a broken pipe)
    is not an error: the rest of the output is dropped, and the run goes on (errors and summary
    on stderr, the cache) and exits as it would have, 0, 1 or 2.  The reader chose to stop, the
    verdict on the code stands (ruff, git and grep stop quietly too; exiting 2 would make
    ``check | head`` fail a CI job under ``pipefail`` that found nothing).  Raises OutputError
    when stdout is closed (``>&-``) or a write fails otherwise (a full disk)."""
    global _stdout_gone
    if _stdout_gone:
        return
    stream = sys.stdout
    if stream is None:  # Python found file descriptor 1 closed at start
        raise OutputError("cannot write to stdout: it is closed")
    try:
        if isinstance(data, bytes):
            stream.flush()
            stream.buffer.write(data)
        else:
            stream.write(data)
        stream.flush()
    except BrokenPipeError:
        _stdout_gone = True
        try:  # what is still buffered goes nowhere, not into another BrokenPipeError at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
    except (OSError, ValueError) as exc:  # ValueError: written after it was closed
        raise OutputError(f"cannot write to stdout: {getattr(exc, 'strerror', None) or exc}") from None


def write_stderr(text: str) -> None:
    """Write ``text`` to stderr, if it can be written at all."""
    stream = sys.stderr
    if stream is None:  # closed (``2>&-``): print(file=None) would write to stdout
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def say(line: str) -> None:
    """One line on stderr; control characters (in a file name) escaped."""
    write_stderr(escape(line) + "\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastapi-perf",
        description="Find FastAPI/Starlette code that blocks the event loop or exhausts memory.",
    )
    parser.add_argument("--version", action="version", version=f"fastapi-perf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="report (and with --fix, fix) findings in files and directories")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files, directories, or - for stdin")
    check.add_argument("--select", default="", help="comma-separated codes or prefixes to report")
    check.add_argument("--ignore", default="", help="comma-separated codes or prefixes not to report")
    check.add_argument("--extend-select", default="", help="comma-separated codes or prefixes added to the selection")
    check.add_argument(
        "--per-file-ignores", default="", metavar="PATTERN:CODES[;...]",
        help='codes not to report in files matching a glob, e.g. "tests/*:FPF1,FPF5;scripts/*:FPF103"',
    )
    check.add_argument("--config", default=None, metavar="PATH",
                       help="use this pyproject.toml instead of the nearest one")
    check.add_argument(
        "--output-format",
        choices=list(FORMATS),
        default=None,
        help="how to print findings (default: concise, or output-format in [tool.fastapi-perf])",
    )
    check.add_argument(
        "--statistics", action="store_true", help="print a count per code instead of the findings"
    )
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes (with --fix/--diff)")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    check.add_argument("--fix-max-size", type=_size, default=None, metavar="SIZE",
                       help="do not fix larger files, e.g. 5MB (default: fix-max-size in [tool.fastapi-perf], "
                            f"else {format_size(DEFAULT_FIX_MAX_SIZE)}; 0: no limit)")
    check.add_argument("--stdin-filename", default=None, help="the file name to report for - (stdin)")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the result cache (.fastapi_perf_cache/)")
    check.add_argument("--jobs", "-j", type=_jobs, default=0, metavar="N",
                       help="check files in N processes (default: one per CPU; 1: no pool)")
    check.add_argument(
        "--no-prefilter",
        action="store_true",
        help="parse every file, even those that cannot contain a finding (for debugging)",
    )

    rule = sub.add_parser("rule", help="print the documentation of a rule")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. FPF101")
    rule.add_argument("--all", action="store_true", help="list every rule")
    rule.add_argument("--output-format", choices=["text", "json"], default="text")
    return parser


def _per_file_ignores(value: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``"tests/*:FPF1,FPF5;scripts/*:FPF103"`` -> ``(("tests/*", ("FPF1", "FPF5")), ...)``."""
    pairs = []
    for item in value.split(";"):
        if not item.strip():
            continue
        pattern, sep, codes = item.rpartition(":")
        if not sep or not pattern.strip() or not _split(codes):
            raise ConfigError(f"--per-file-ignores: expected PATTERN:CODES, got {item.strip()!r}")
        pairs.append((pattern.strip(), parse_codes(_split(codes), f"--per-file-ignores {pattern.strip()}")))
    return tuple(pairs)


def _size(value: str) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in value.replace(" ", ",").split(",") if v.strip())


def _fixable_codes() -> frozenset[str]:
    """Codes whose rule offers a fix; known without importing LibCST."""
    from .rules import all_rules

    return frozenset(code for code, rule in all_rules().items() if rule.fix)


def _unified_diff(path: str, before: bytes, after: bytes) -> str:
    import difflib

    return "".join(
        difflib.unified_diff(
            decode_source(before).splitlines(keepends=True),
            decode_source(after).splitlines(keepends=True),
            fromfile=f"a/{escape(path)}",
            tofile=f"b/{escape(path)}",
        )
    )


@dataclass
class _Outcome:
    """What became of one file (computed in this process or in a worker of ``--jobs``)."""

    path: str
    findings: list[Diagnostic] = field(default_factory=list)
    final: bytes = b""  # the text the findings refer to
    errors: list[str] = field(default_factory=list)
    fixed: int = 0
    unsafe_available: int = 0
    changed: bool = False  # --diff: a diff was produced
    diff: str = ""
    stdout: bytes | None = None  # stdin with --fix: the fixed text
    #: for the cache: the check result of the bytes read (None: do not store), its dependencies
    checked: tuple[list[Diagnostic], str | None] | None = None
    deps: frozenset[str] = frozenset()
    #: what its findings depend on beyond its imports (see ``ResultCache.put``)
    outside: dict[str, bool] = field(default_factory=dict)
    reach: str | None = None
    #: what the reach learnt of modules while checking it (a --jobs worker's, for the cache)
    records: dict[str, Any] | None = None
    edges: dict[str, set[str]] | None = None  # ... and the edges of the dependency graph it found
    #: findings in functions that are no entry point, decided once the reach is known
    #: (``ProjectIndex.defer_reach``): (code, line, column, message, place) of each
    pending: list[tuple[Any, ...]] | None = None
    needs_reach: bool = False
    digest: str | None = None  # the hash of the bytes checked (the file may change meanwhile)
    #: --fix in a --jobs worker: (fixed, read) text, written by the main process once no worker
    #: runs (see ``_Run.commit``), and the findings of the text read, if the write is refused
    write: tuple[bytes, bytes] | None = None
    unfixed: list[Diagnostic] = field(default_factory=list)


class _Run:
    """One ``check`` invocation: inputs, settings, and what became of each file."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.fixing = args.fix or args.diff
        self.cli = Settings(  # checked as pyproject's: a typo is an error, not a filter of nothing
            select=parse_codes(_split(args.select), "--select"),
            extend_select=parse_codes(_split(args.extend_select), "--extend-select"),
            ignore=parse_codes(_split(args.ignore), "--ignore"),
            per_file_ignores=_per_file_ignores(args.per_file_ignores),
        )
        self.errors: list[str] = []
        self.warned: set[str] = set()
        self.quiet_warnings = False  # in a worker: the main process printed them
        self.findings: list[Finding] = []
        self.fixed = 0
        self.unsafe_available = 0
        self.changed_files = 0
        self.fixable = _fixable_codes()  # rule-level: known without importing LibCST
        self.output_format = args.output_format or "concise"
        self.project = None  # the ProjectIndex of the run (set by run_check)
        self.cache = None  # the ResultCache of the run, unless --no-cache
        #: a --jobs worker with --fix: leave the writes to the main process (see ``commit``)
        self.defer_writes = False
        self.held: list[_Outcome] = []  # outcomes waiting for the reach (see take)
        #: stdin with --fix: what was read (printed unchanged on any failure), and what is to be
        #: printed, once, at the end (``report``): a fixed text or the input, never a part
        self.stdin_source: bytes | None = None
        self.stdout_parts: list[bytes] = []
        self.stdout_written = False
        self.output_error: str | None = None  # stdout could not be written (see ``emit``)
        #: where --fix may write: below the directories named, or the files named (write_atomic)
        named = [p for p in args.paths if p != "-"]
        self.roots = [p for p in named if os.path.isdir(p)]
        self.named = [p for p in named if p not in self.roots]

    def resolve_output_format(self) -> None:
        """The command line's --output-format, else the project's ``output-format``, else concise."""
        if self.args.output_format is None:
            configured = getattr(self.project_settings(os.getcwd()), "output_format", None)
            self.output_format = configured or "concise"

    def project_settings(self, directory: str) -> Settings:
        """The ``[tool.fastapi-perf]`` settings for files in ``directory`` (``--config`` wins)."""
        if self.args.config:
            return load_pyproject_cached(os.path.abspath(self.args.config))
        return settings_for_directory(os.path.abspath(directory))

    def settings_for(self, path: str) -> Settings:
        project = self.project_settings(os.path.dirname(os.path.abspath(path)))
        for warning in project.warnings:
            if warning not in self.warned:
                self.warned.add(warning)
                if not self.quiet_warnings:
                    say(f"fastapi-perf: warning: {warning}")
        cli = self.cli
        changed = cli.select or cli.extend_select or cli.ignore or cli.per_file_ignores
        return project.merged(cli) if changed else project

    def inputs(self) -> Iterator[tuple[str, bool]]:
        """(path, is_stdin)."""
        seen: set[str] = set()  # each file once, however many arguments reach it
        for path in self.args.paths:
            if path == "-":
                yield (self.args.stdin_filename or "-", True)
            else:
                where = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
                patterns = self.project_settings(where).exclude_patterns()
                skipped: list[str] = []  # symlinks out of the named directories: not read
                for file in iter_python_files([path], self.errors, exclude=patterns, seen=seen, roots=self.roots,
                                              skipped=skipped):
                    yield (file, False)
                for line in skipped:
                    say(f"fastapi-perf: warning: {line}")

    def _settings_path(self, path: str, is_stdin: bool) -> str:
        return path if not is_stdin or path != "-" else os.path.join(os.getcwd(), "-")

    def process(self, path: str, is_stdin: bool) -> _Outcome:
        """Check (and fix) one file.  Never raises but a ConfigError (the run's settings) or
        KeyboardInterrupt: anything else, a RecursionError or MemoryError included, in this
        process or a ``--jobs`` worker, is the file's one ``FPF000 internal error`` line; the
        file is left as it was (stdin with --fix: printed unchanged) and the run goes on."""
        try:
            return self._process(path, is_stdin)
        except ConfigError:
            raise
        except Exception as exc:
            from .checker import internal_error_line

            out = _Outcome(path, errors=[internal_error_line(path, exc)])
            if self.project is not None:
                try:
                    self.project.discard(path)
                except Exception:  # pragma: no cover - the error line is what matters now
                    pass
            if is_stdin and self.args.fix and not self.args.diff and self.stdin_source is not None:
                out.stdout = self.stdin_source
            return out

    def _process(self, path: str, is_stdin: bool) -> _Outcome:
        out = _Outcome(path)
        settings = self.settings_for(self._settings_path(path, is_stdin))
        if is_stdin:
            try:
                if sys.stdin is None:  # closed when the process started (``<&-``)
                    raise OSError("stdin is closed")
                source = sys.stdin.buffer.read()
            except (OSError, ValueError) as exc:
                out.errors.append(f"{path}:1:1: FPF000 cannot read: {getattr(exc, 'strerror', None) or exc}")
                return out
            if self.stdin_source is None:
                self.stdin_source = source
        else:
            try:
                with open(path, "rb") as fh:
                    source = fh.read()
            except OSError as exc:
                out.errors.append(f"{path}:1:1: FPF000 cannot read: {exc.strerror or exc}")
                return out
        from .checker import check_source, internal_error_line  # the rules: not needed when every file is cached

        project = self.project
        result = check_source(source, path, settings, prefilter=not self.args.no_prefilter, project=project,
                              on_disk=not is_stdin)
        if result.error:
            out.errors.append(result.error)
        if not is_stdin and self.cache is not None and not result.internal:  # a crash is not kept
            from .cache import content_hash

            out.checked = (result.diagnostics, result.error)
            out.digest = content_hash(source)
            if project is not None:
                normed = _norm(path)
                out.deps = frozenset(project.edges.get(normed, ()))
                out.outside = project.asked_outside.get(normed, {})
                if normed in project.reach_dependent and not project.defer_reach:
                    out.reach = project.reach_fingerprint()
        if project is not None:
            normed = _norm(path)
            out.pending = project.pending.pop(normed, None)
            out.needs_reach = project.defer_reach and normed in project.reach_dependent
        remaining = result.diagnostics
        final = source  # the text the remaining findings refer to
        if self.fixing and any(d.code in self.fixable for d in remaining) and self.may_fix(out, source, settings):
            from .fixes.engine import FixOutcome, fix_source  # LibCST is imported only here

            try:
                outcome = fix_source(source, path, settings, unsafe=self.args.unsafe_fixes, project=project,
                                     on_disk=not is_stdin)
            except Exception as exc:  # the fixer's bug: the file keeps its text and its findings
                if project is not None:
                    project.discard(path)
                outcome = FixOutcome(source, error=internal_error_line(path, exc, "the file was left unchanged"))
            applied = False
            if outcome.error:
                out.errors.append(outcome.error)
            elif outcome.source == source:
                applied = True
            elif self.args.diff:
                out.diff = _unified_diff(path, source, outcome.source)
                out.changed = True
                applied = True
            elif is_stdin:
                applied = True
            else:  # written by commit(): below, or with --jobs by the main process after the pool
                out.write, out.unfixed = (outcome.source, source), remaining
                applied = True
            if applied:
                out.fixed = len(outcome.fixed)
                out.unsafe_available = outcome.unsafe_available
                remaining = outcome.remaining
                if outcome.source != source and out.write is None:
                    out.checked = None  # the text checked is not the file's (--diff): check it again
                final = outcome.source
        # findings waiting for the reach (see ``take``) get their fixes once it is decided
        out.findings = remaining if out.needs_reach else self.with_fixes(path, settings, final, remaining, out.errors)
        out.final = final
        if is_stdin and self.args.fix and not self.args.diff:
            out.stdout = source if out.errors else final  # any failure: the input, unchanged
        if not self.defer_writes:
            self.commit(out)
        return out

    def fix_max_size(self, settings: Settings) -> int:
        """The size above which a file is not given to LibCST (0: no limit)."""
        if self.args.fix_max_size is not None:
            return self.args.fix_max_size
        return DEFAULT_FIX_MAX_SIZE if settings.fix_max_size is None else settings.fix_max_size

    def may_fix(self, out: _Outcome, source: bytes, settings: Settings) -> bool:
        """False, with an error line, for a file too large to fix (LibCST takes 250 to 400
        times its size); it is still checked."""
        limit = self.fix_max_size(settings)
        if not limit or len(source) <= limit:
            return True
        size, most = format_size(len(source)), format_size(limit)
        if size == most:  # 1.04 MB and 1 MB both show as "1 MB"
            size, most = f"{len(source):,} bytes", f"{limit:,} bytes"
        out.errors.append(f"{out.path}:1:1: FPF000 not fixed: the file is {size}, over the fix limit of {most} "
                          f"(fix-max-size)")
        return False

    def with_fixes(self, path: str, settings: Settings, final: bytes, remaining: list[Diagnostic],
                   errors: list[str]) -> list[Diagnostic]:
        """``remaining`` with their fixes, for the formats that show them; an exception on the
        way is an error line in ``errors`` and the findings are shown without fixes.  A file
        over the fix size limit gets its findings without fixes (LibCST is not run on it)."""
        limit = self.fix_max_size(settings)
        if (
            self.output_format in NEEDS_FIXES
            and not self.args.statistics
            and (not limit or len(final) <= limit)  # a larger file: its findings without fix edits
            and any(d.code in self.fixable for d in remaining)
        ):
            from .fixes.edits import with_fixes  # LibCST is imported only here

            try:
                return with_fixes(final, path, settings, remaining, self.project)
            except Exception as exc:
                from .checker import internal_error_line

                errors.append(internal_error_line(path, exc, "its findings are shown without fixes"))
        return remaining

    def from_cache(self, path: str) -> _Outcome | None:
        """The outcome of ``path`` from the cache, when it holds and no fix is to be made; None
        also when taking it fails (the file is then checked)."""
        if self.cache is None:
            return None
        try:
            return self._from_cache(path)
        except ConfigError:
            raise
        except Exception:
            return None

    def _from_cache(self, path: str) -> _Outcome | None:
        assert self.cache is not None
        settings = self.settings_for(path)
        cached = self.cache.get(_norm(path), settings)
        if cached is None:
            return None
        diagnostics, error = cached
        if self.fixing and any(d.code in self.fixable for d in diagnostics):
            return None
        out = _Outcome(path, errors=[error] if error else [])
        if diagnostics:
            try:
                with open(path, "rb") as fh:
                    out.final = fh.read()
            except OSError as exc:
                out.errors.append(f"{path}:1:1: FPF000 cannot read: {exc.strerror or exc}")
                return out
        out.findings = self.with_fixes(path, settings, out.final, diagnostics, out.errors)
        return out

    def commit(self, out: _Outcome) -> None:
        """Write the fixed text of a file (``--fix``).  A ``--jobs`` worker leaves it to the main
        process, which calls this once the pool is done: a worker reads the project's files
        lazily (its index), so a write during the pool would let the fix of one file change the
        findings of the files some other worker checks after it, and --fix would not do what
        --diff shows."""
        if out.write is None:
            return
        new, old = out.write
        out.write = None
        try:
            write_atomic(out.path, new, old, roots=self.roots, named=self.named)
        except WriteRefused as exc:  # the file keeps its text and its findings
            out.errors.append(f"{out.path}:1:1: FPF000 {exc}")
            out.fixed = out.unsafe_available = 0
            out.final = old
            out.findings = self.with_fixes(out.path, self.settings_for(out.path), old, out.unfixed, out.errors)
        else:
            out.checked = None  # the file changed: its next run checks it again

    def add(self, out: _Outcome) -> None:
        """Take one file's outcome (in input order)."""
        self.errors.extend(out.errors)
        self.fixed += out.fixed
        self.unsafe_available += out.unsafe_available
        if out.changed:
            self.changed_files += 1
        if out.diff:
            self.emit(out.diff)
        if out.stdout is not None:
            self.stdout_parts.append(out.stdout)  # written by report(), at the end, in one piece
        self.findings.extend(Finding(out.path, d, out.final) for d in out.findings)
        if self.cache is not None and out.checked is not None:
            diagnostics, error = out.checked
            self.cache.put(_norm(out.path), self.settings_for(out.path), diagnostics, error, out.deps, out.outside,
                           out.digest, out.reach)

    def take(self, out: _Outcome) -> None:
        """Take one file's outcome as it comes: what a ``--jobs`` worker learnt of the project
        goes to this process's index; with the reach decided after the last file
        (``ProjectIndex.defer_reach``) the outcome waits for ``finish``, else it is added."""
        if self.project is not None and out.records:
            self.project.fresh_records.update(out.records)
            out.records = None
        if self.project is not None and out.edges:
            self.project.add_edges(out.edges)
            out.edges = None
        if self.project is not None and self.project.defer_reach:
            if not out.findings:
                out.final = b""  # held until the end: only findings need the text (litellm: 35 MB)
            self.held.append(out)
        else:
            self.add(out)

    def finish(self) -> None:
        """Decide the reach for the outcomes held (``take``), in input order, and add them."""
        held, self.held = self.held, []
        project = self.project
        for out in held:
            if project is not None and out.needs_reach:
                path = _norm(out.path)
                settings = self.settings_for(out.path)
                diagnostics = project.settle(path, out.findings, out.pending or [])
                out.reach = project.reach_fingerprint()
                if out.checked is not None:
                    out.checked = (diagnostics, out.checked[1])
                out.findings = self.with_fixes(out.path, settings, out.final, diagnostics, out.errors)
            self.add(out)

    def emit(self, data: str | bytes) -> None:
        """Write to stdout (``write_stdout``); a failure is kept for ``report`` (exit 2)."""
        try:
            write_stdout(data)
        except OutputError as exc:
            self.output_error = self.output_error or str(exc)

    def print_stdin_result(self, unchanged: bool = False) -> None:
        """stdin with --fix: print the fixed text, or the input after a failure (``unchanged``:
        the whole run failed), once and in one piece.  Nothing when nothing was read."""
        if self.stdout_written:
            return
        data = self.stdin_source if unchanged else b"".join(self.stdout_parts) if self.stdout_parts else None
        if data is not None:
            self.stdout_written = True
            self.emit(data)

    def report(self) -> int:
        args = self.args
        to_stderr = self.args.diff or (self.args.fix and "-" in args.paths)
        options = Options(fixable=self.fixable, show_fix_status=self.fixing, root=project_root())
        if args.statistics:
            from .output.text import statistics, statistics_json

            formatter = statistics_json if self.output_format == "json" else statistics
        else:
            formatter = FORMATS[self.output_format]
        text = formatter(self.findings, options)
        if text and to_stderr:
            write_stderr(text)
        elif text:
            self.emit(text)
        for error in self.errors:
            say(error)
        remaining = len(self.findings)
        if self.fixing and not args.quiet:
            verb = "Would fix" if args.diff else "Fixed"
            extra = ""
            if self.unsafe_available and not args.unsafe_fixes:
                extra = f", {self.unsafe_available} unsafe fix{'es' if self.unsafe_available != 1 else ''} available with --unsafe-fixes"
            say(f"{verb} {self.fixed} finding{'s' if self.fixed != 1 else ''} ({remaining} remaining{extra})")
        elif not args.quiet and remaining and not args.statistics and self.output_format in HUMAN:
            say(f"Found {remaining} finding{'s' if remaining != 1 else ''}.")
        self.print_stdin_result()
        if self.output_error:
            say(f"fastapi-perf: error: {self.output_error}")
            return EXIT_ERROR
        if self.errors:
            return EXIT_ERROR
        if args.diff:
            return EXIT_FINDINGS if self.changed_files else EXIT_CLEAN
        if remaining and not args.exit_zero:
            return EXIT_FINDINGS
        return EXIT_CLEAN


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


#: Below this many files to check, ``--jobs`` runs in this process (a pool costs more than it saves).
POOL_MIN_FILES = 16
_WORKER: _Run | None = None  # the run of a worker process of --jobs


def _worker_init(args: argparse.Namespace, files: list[str], roots: list[str], cache: bool,
                 records: dict[str, Any], first: str | None) -> None:
    """A ``--jobs`` worker: its own run and project index (same files; built, not parsed)."""
    import contextlib

    from .analysis.project import ProjectIndex

    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the pool
    # SIGTERM (pool.terminate()) keeps its default action: a worker writes no file (with --fix the
    # main process does, see ``_Run.commit``), so there is nothing to unwind.  A Python handler
    # raced with the worker's wait on the task queue's lock (a signal caught just before the wait
    # is acted on after it), and the pool's shutdown hung, about once in 100 runs.
    global _WORKER
    run = _Run(args)
    run.resolve_output_format()
    run.quiet_warnings = True
    run.project = ProjectIndex.build(files, roots=roots)
    run.cache = True if cache else None  # only its truth matters here: compute dependencies
    run.defer_writes = bool(args.fix and not args.diff)  # the main process writes (_Run.commit)
    run.project.keep_sources = False  # no file changes while a worker runs
    run.project.load_records(records, {path: item["hash"] for path, item in records.items()})
    run.project.defer_reach = not (args.fix or args.diff)  # the main process decides it (_Run.finish)
    run.project.keeps_records = cache or run.project.defer_reach
    run.project.settings = run.settings_for(first) if first is not None else None
    _worker_init.stack = contextlib.ExitStack()  # type: ignore[attr-defined]
    _worker_init.stack.enter_context(run.project.session())  # type: ignore[attr-defined]
    _WORKER = run


def _worker_process(path: str) -> _Outcome:
    assert _WORKER is not None
    out = _WORKER.process(path, False)
    project = _WORKER.project
    if project is not None:
        # what the worker learnt of the project goes to the main process, which keeps it in the cache
        if project.fresh_records:
            out.records, project.fresh_records = project.fresh_records, {}
        out.edges = project.take_edges()
    return out


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if jobs < 0:
        raise argparse.ArgumentTypeError("must be 0 (one per CPU) or more")
    return jobs


def run_check(args: argparse.Namespace) -> int:
    from .analysis.project import ProjectIndex

    run: _Run | None = None
    try:
        run = _Run(args)
        run.resolve_output_format()
        inputs = list(run.inputs())
        files = [path for path, is_stdin in inputs if not is_stdin]
        roots = [path for path in args.paths if path != "-" and os.path.isdir(path)]
        # one index of the projects of the files being checked, for FPF107 across modules and
        # what the project runs (never imports them): the files named are checked, the index
        # covers every file of their projects (workspace.py), so one file checked alone gets
        # the answer it gets in a run over the whole project
        from .workspace import scope

        # stdin named with --stdin-filename (an editor's buffer) is checked as part of its project too
        named = files + [path for path, is_stdin in inputs if is_stdin and path != "-"]
        index_files, projects = scope(named) if named else ([], [])
        known = {_norm(r) for r in roots}
        roots += [p for p in projects if _norm(p) not in known]
        run.project = ProjectIndex.build(index_files, roots=roots)
        # a file fixed is written at once (one job): the index must keep the text it read
        run.project.keep_sources = bool(args.fix and not args.diff)
        # the reach is decided after the last file, from what each file's check learnt of it
        # (no module is parsed again for it); --fix and --diff need each file's findings at once
        run.project.defer_reach = run.project.keeps_records = not (args.fix or args.diff)
        if files:  # the settings of the reach and of the startup-only answers (one for the project)
            run.project.settings = run.settings_for(files[0])
        if not args.no_cache and files:
            from .cache import ResultCache, cache_directory

            cache = ResultCache(cache_directory(project_root()), [p for p in args.paths if p != "-"],
                                [_norm(f) for f in index_files])
            if cache.warning:  # a cache directory that is not safe to use: the run goes on without
                say(f"fastapi-perf: warning: {cache.warning}")
            run.cache = cache if cache.usable else None
            for path in index_files if run.cache is not None else ():  # a change anywhere is seen
                try:
                    if not stat.S_ISREG(os.stat(path).st_mode):
                        continue  # a pipe (check <(git show ...)) can be read once, by process(): not cached
                    with open(path, "rb") as fh:
                        run.cache.see(_norm(path), fh.read())
                except OSError:
                    pass
            if run.cache is not None:
                # what the reach learnt of the files unchanged since: they need no parse for it
                run.project.use_cache(run.cache)
                project = run.project

                def reach_fingerprint() -> str:
                    with project.session():
                        return project.reach_fingerprint()

                def outside_requests(path: str, qualname: str) -> bool:
                    with project.session():
                        return project.outside_requests(path, qualname)

                run.cache.reach_fingerprint = reach_fingerprint
                run.cache.outside_requests = outside_requests
                run.cache.outside_unchanged = project.outside_unchanged
        outcomes: dict[int, _Outcome] = {}
        todo: list[int] = []
        for i, (path, is_stdin) in enumerate(inputs):
            cached = None if is_stdin else run.from_cache(path)
            if cached is not None:
                outcomes[i] = cached
            else:
                todo.append(i)
        jobs = args.jobs or os.cpu_count() or 1
        parallel = [i for i in todo if not inputs[i][1]]
        if jobs > 1 and len(parallel) >= POOL_MIN_FILES:
            import multiprocessing

            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            with context.Pool(
                min(jobs, len(parallel)), _worker_init,
                (args, index_files, roots, run.cache is not None, run.project.recorded(), files[0] if files else None)
            ) as pool:
                chunk = max(1, len(parallel) // (jobs * 8))
                results = pool.imap(_worker_process, [inputs[i][0] for i in parallel], chunksize=chunk)
                done = iter(parallel)
                pending = set(parallel)
                held: list[_Outcome] = []  # --fix: nothing is written while a worker runs
                for i in range(len(inputs)):
                    if i in outcomes:
                        out = outcomes.pop(i)
                    elif i in pending:
                        assert next(done) == i
                        out = next(results)
                    else:  # stdin
                        out = run.process(*inputs[i])
                    if out.write is not None or held:
                        held.append(out)
                    else:
                        run.take(out)
            for out in held:
                run.commit(out)
                run.take(out)
            run.finish()  # the reach, decided once every file told what it needs of it
        else:
            # In input order, except that a file whose tree the index parsed for the check of
            # another (an imported helper) is checked next, while the tree is alive; outcomes are
            # still taken in input order.  The findings do not depend on the order.
            position = {_norm(path): i for i, (path, is_stdin) in enumerate(inputs) if not is_stdin}
            left = dict.fromkeys(range(len(inputs)))
            ready: dict[int, _Outcome] = {}
            taken = 0
            with run.project.session():
                while left:
                    i = next(iter(left))
                    for path in run.project.waiting():  # normalised, as the keys of position
                        j = position.get(path)
                        if j is not None and j in left:
                            i = j
                            break
                    del left[i]
                    out = outcomes.pop(i, None)
                    if out is None:
                        out = run.process(*inputs[i])  # check_source releases the file
                    if i != taken and not out.findings:
                        out.final = b""  # held until its turn: only the findings need the text
                    ready[i] = out
                    while taken in ready:
                        run.take(ready.pop(taken))
                        taken += 1
                run.finish()  # the reach, decided once every file told what it needs of it
        if run.cache is not None:
            run.project.store_in(run.cache)
            run.cache.save()
        return run.report()
    except ConfigError as exc:
        _echo_stdin(args, run, read=True)
        say(f"fastapi-perf: error: {exc}")
        return EXIT_ERROR
    except BaseException:  # main() says what it was
        _echo_stdin(args, run, read=False)
        raise


def _echo_stdin(args: argparse.Namespace, run: _Run | None, read: bool) -> None:
    """stdin with --fix, when the whole run fails: print the input unchanged, if nothing was
    printed yet (``read``: read it now if it was not read yet), so that ``fastapi-perf-fix - <
    app.py > fixed.py`` never leaves a part of a file, or nothing, in ``fixed.py``."""
    if not (args.fix and not args.diff and "-" in args.paths) or (run is not None and run.stdout_written):
        return
    if run is not None and run.stdin_source is not None:
        run.print_stdin_result(unchanged=True)
        return
    if read and sys.stdin is not None:
        try:
            write_stdout(sys.stdin.buffer.read())
        except (OSError, ValueError, OutputError):
            pass


def run_rule(args: argparse.Namespace) -> int:
    code, text = _rule_output(args)
    try:
        write_stdout(text)
    except OutputError as exc:
        say(f"fastapi-perf: error: {exc}")
        return EXIT_ERROR
    return code


def _rule_output(args: argparse.Namespace) -> tuple[int, str]:
    """(exit code, what to print on stdout) for ``fastapi-perf rule``."""
    from .rules import all_rules

    rules = all_rules()
    if args.output_format == "json":
        import json

        if args.all or not args.code:
            return EXIT_CLEAN, json.dumps([_rule_json(rule) for rule in rules.values()], indent=2) + "\n"
        found = rules.get(args.code.upper())
        if found is None:
            say(f"fastapi-perf: error: unknown rule {args.code!r}")
            return EXIT_ERROR, ""
        return EXIT_CLEAN, json.dumps(_rule_json(found), indent=2) + "\n"
    if args.all or not args.code:
        lines = []
        for code, rule in rules.items():
            fix = f" [fix: {rule.fix}]" if rule.fix else ""
            lines.append(f"{code}  {rule.name:<34} {rule.summary}{fix}\n")
        return EXIT_CLEAN, "".join(lines)
    rule = rules.get(args.code.upper())
    if rule is None:
        say(f"fastapi-perf: error: unknown rule {args.code!r}")
        return EXIT_ERROR, ""
    return EXIT_CLEAN, f"# {rule.name} ({rule.code})\n\n{rule.summary}\n\n{rule.docs()}\n"


def _rule_json(rule: type) -> dict:
    """One rule as ``ruff rule --output-format json`` describes one (plus the fix's applicability
    and the docs page)."""
    from .output import rule_url

    return {
        "name": rule.name,
        "code": rule.code,
        "linter": "flake8-fastapi-perf",
        "summary": rule.summary,
        # the fixers handle the common shapes of a finding, not every one
        "fix": "Fix is sometimes available." if rule.fix else "Fix is not available.",
        "fix_availability": "Sometimes" if rule.fix else "None",
        "fix_applicability": rule.fix,
        "explanation": rule.docs() + "\n",
        "preview": False,
        "url": rule_url(rule.code),
    }


def fix_main(argv: Sequence[str] | None = None) -> int:
    """``fastapi-perf-fix [PATHS...]``: the same as ``fastapi-perf check --fix``."""
    return main(["check", "--fix", *(sys.argv[1:] if argv is None else argv)])


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; its exit code: 0 clean, 1 findings, 2 any error, 130 interrupted.  Raises
    nothing but SystemExit (argparse: 2 for a usage error, 0 for --help and --version): an
    exception that escapes the command (a bug, a RecursionError or MemoryError outside one
    file's check) is one line on stderr and exit 2, where it was a traceback and exit 1, the
    code of findings."""
    global _stdout_gone
    _stdout_gone = False
    try:
        parser = _build_parser()
        args = parser.parse_args(argv)
        if args.command == "check":
            return run_check(args)
        if args.command == "rule":
            return run_rule(args)
        parser.print_help()
        return EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl-C: every file is old or new (write_atomic), no traceback
        say("fastapi-perf: interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last resort
        from .checker import internal_error, print_traceback

        print_traceback(exc)
        say(f"fastapi-perf: error: {internal_error(exc)}")
        return EXIT_ERROR


def _exit_now(code: int) -> NoReturn:
    """End the process without tearing down the interpreter (mypy's ``hard_exit`` does the
    same): freeing the project index's trees and scopes one object at a time took 0.58 s of a
    3.7 s run on open-webui.  Everything a run writes is written and closed before ``main``
    returns; only the standard streams are left to flush."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: closed when the process started (``>&-``)
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``) or a closed stream
            pass
    os._exit(code)


def _command_start() -> None:
    """For a command's process only: its automatic cyclic GC stays off (a check does collect,
    see ``ProjectIndex.session``).  Turned back on after the checks, the GC's first young
    collection walked every object the run had allocated meanwhile: 0.17 s on open-webui.
    A character the terminal's encoding cannot show (a name in a message, under a Latin-1
    locale) is printed as a backslash escape instead of ending the run."""
    gc.disable()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass


def console_main() -> NoReturn:
    """The ``fastapi-perf`` command."""
    _command_start()
    _exit_now(main())


def console_fix_main() -> NoReturn:
    """The ``fastapi-perf-fix`` command."""
    _command_start()
    _exit_now(fix_main())


if __name__ == "__main__":  # pragma: no cover
    console_main()
