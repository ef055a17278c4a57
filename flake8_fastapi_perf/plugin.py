"""The flake8 adapter: flake8's tree -> the analysis core -> ``(line, col, "FPF101 ...", type)``.

It never imports LibCST and does one walk of the tree flake8 already parsed.  It never raises
into flake8 either: flake8 stops the whole run, every file's findings lost, when a plugin
raises.  A configuration error is one ``FPF000 configuration error: ...`` finding on line 1 of
the file; any other exception (a RecursionError on a 400-link method chain, a MemoryError, a
bug) is one ``FPF000 internal error: ...; this file was not checked``.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator
from typing import Any

from . import __version__
from .checker import check_tree, internal_error, print_traceback
from .config import ConfigError, Settings, parse_blocking_entries, settings_for_directory
from .output import escape

_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        if sys.stderr is not None:  # closed: print(file=None) would write into flake8's output
            print(f"flake8-fastapi-perf: warning: {escape(message)}", file=sys.stderr)


class Plugin:
    name = "flake8-fastapi-perf"
    version = __version__

    #: settings from flake8's own options (.flake8, setup.cfg, tox.ini, command line)
    _options_settings = Settings()
    _options_error: str | None = None

    def __init__(self, tree: ast.Module, filename: str = "stdin", lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--fastapi-perf-extend-blocking",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="Extra blocking calls for flake8-fastapi-perf, as qualified.name=FPF10x "
            "(comma-separated). Example: mylib.fetch=FPF102",
        )
        option_manager.add_option(
            "--fastapi-perf-allow",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="Qualified names flake8-fastapi-perf never flags (comma-separated); a name "
            "also covers what is below it (requests covers requests.get).",
        )
        option_manager.add_option(
            "--fastapi-perf-no-cache",
            action="store_true",
            parse_from_config=True,
            help="Neither read nor write the result cache of flake8-fastapi-perf (what it learnt "
            "of the project's modules, shared with fastapi-perf check).",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        global _use_cache
        _use_cache = not getattr(options, "fastapi_perf_no_cache", False)
        extend = [e for e in (getattr(options, "fastapi_perf_extend_blocking", None) or []) if e]
        allow = [a for a in (getattr(options, "fastapi_perf_allow", None) or []) if a]
        try:
            cls._options_settings = Settings(
                extend_blocking=parse_blocking_entries(extend, "--fastapi-perf-extend-blocking"),
                allow=frozenset(allow),
            )
            cls._options_error = None
        except ConfigError as exc:
            cls._options_settings = Settings()
            cls._options_error = str(exc)

    def _settings(self) -> Settings:
        if self.filename in ("stdin", "-"):
            directory = os.getcwd()
        else:
            directory = os.path.dirname(os.path.abspath(self.filename))
        project = settings_for_directory(directory)
        for warning in project.warnings:
            _warn_once(warning)
        return project.merged(self._options_settings)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            found = self._findings()
        except Exception as exc:  # RecursionError and MemoryError are Exceptions too
            print_traceback(exc)
            found = [(1, 0, f"FPF000 {escape(internal_error(exc))}; this file was not checked")]
        for line, col, text in found:
            yield line, col, text, type(self)

    def _findings(self) -> list[tuple[int, int, str]]:
        if self._options_error:
            return [(1, 0, f"FPF000 configuration error: {escape(self._options_error)}")]
        try:
            settings = self._settings()
        except ConfigError as exc:
            return [(1, 0, f"FPF000 configuration error: {escape(str(exc))}")]
        project = _project_of(self.filename)
        if project is None:
            return [(d.line, d.col, d.text) for d in check_tree(self.tree, settings, self.filename)]
        # flake8's text (an editor's unsaved buffer, through --stdin-display-name, too); a
        # caller that gives no lines (flake8 always does) gets the file's text
        on_disk = _disk_text(self.filename)
        if self.lines is not None:
            source = "".join(self.lines).encode("utf-8", "surrogatepass")
        elif on_disk is not None:
            source = on_disk
        else:
            source = ast.unparse(self.tree).encode("utf-8", "surrogatepass")
        with project.checking(self.filename, source, on_disk=source == on_disk):
            project.register(self.filename, self.tree, source)
            found = check_tree(self.tree, settings, self.filename, project)
        _keep_records(project)
        return [(d.line, d.col, d.text) for d in found]


def _disk_text(filename: str) -> bytes | None:
    """The file's text, to tell flake8's text of a saved file from an editor's buffer."""
    try:
        with open(filename, "rb") as fh:
            return fh.read()
    except OSError:
        return None


#: the result cache of each project's index (``_project_of``), to share what the reach learns
_caches: dict[int, Any] = {}
_use_cache = True  # --fastapi-perf-no-cache: False


def _attach_cache(project: Any, directory: str, files: list[str]) -> None:
    """Load what ``fastapi-perf check`` (or another flake8 process) learnt of the project's
    modules from the result cache in ``directory``: the reach then parses none that did not
    change (an editor runs flake8 in a new process on every save).  No cache: nothing."""
    from .cache import ResultCache, cache_directory

    if not _use_cache:
        return
    try:
        cache = ResultCache(cache_directory(directory), [directory], [os.path.normcase(os.path.abspath(f)) for f in files])
        if not cache.usable:
            return
        for path in files:
            with open(path, "rb") as fh:
                cache.see(os.path.normcase(os.path.abspath(path)), fh.read())
    except OSError:
        return
    project.use_cache(cache)
    _caches[id(project)] = cache


def _keep_records(project: Any) -> None:
    """Once the reach was walked in this process, write what it learnt to the cache (once)."""
    cache = _caches.get(id(project))
    if cache is None or not project.reach_walked:
        return
    del _caches[id(project)]
    if not project.has_news():
        return  # the file holds all of it already
    project.store_in(cache)
    cache.save_records()  # quiet about the file system, as save()


#: the index of each project this process checks files of (flake8 runs its workers' files one
#: after the other, each worker with its own): kept for the life of the process
_projects: dict[str, Any] = {}  # project directory -> index, or None


def _project_of(filename: str) -> Any:
    """The ``ProjectIndex`` of the project ``filename`` belongs to (see ``workspace``), or None
    for a file of no project and for stdin without a name: then the file is its own project."""
    if filename in ("stdin", "-"):
        return None
    from .workspace import project_directory, project_files

    directory = project_directory(os.path.dirname(os.path.abspath(filename)))
    if directory is None:
        return None
    if directory not in _projects:
        from .analysis.project import ProjectIndex

        files = project_files(directory)
        project = None if files is None else ProjectIndex.build(files, roots=[directory])
        if project is not None:
            project.keep_sources = False  # flake8 changes no file
            _attach_cache(project, directory, files)
            # trees kept under the budget for the files that follow, Python's GC left alone
            # (flake8 and its other plugins share the process)
            project.session(own_gc=False).__enter__()
        _projects[directory] = project  # None: its files cannot be listed
    project = _projects[directory]
    if project is None:
        return None
    if filename not in project and os.path.lexists(filename):
        return None  # a file the project's listing leaves out (excluded, .gitignore): on its own
    return project  # (a file not saved yet belongs to the project of its directory)
