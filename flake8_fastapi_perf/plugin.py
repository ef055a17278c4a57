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

    def __init__(self, tree: ast.Module, filename: str = "stdin") -> None:
        self.tree = tree
        self.filename = filename

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

    @classmethod
    def parse_options(cls, options: Any) -> None:
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
        return [(d.line, d.col, d.text) for d in check_tree(self.tree, settings, self.filename)]
