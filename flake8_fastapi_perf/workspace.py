"""The project a checked file belongs to: the files the project index covers, for every front end.

One answer everywhere (issue 16): ``fastapi-perf check app/main.py`` (pre-commit with the
changed files), ``flake8 app/main.py`` (an editor) and ``fastapi-perf check .`` must report the
same findings for ``app/main.py``, cross-module chains included.  So the index of a run does not
cover only the files being checked but the whole project each of them belongs to: the ``.py``
files below the nearest directory at or above the file holding a ``.git`` or a
``pyproject.toml``, found as a run finds files (the ``exclude`` patterns of that project,
``.gitignore``, no symlink out of the directory).  Only the files named are checked and
reported; the others are read when a chain goes into them.

A file with no such directory above it (a script in ``/tmp``, stdin without a name) is a
project of its own, as are the files of a directory holding more than ``MAX_FILES`` Python
files (a home directory under git): listing them would cost more than it tells.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

#: what marks the directory of a project
MARKERS = (".git", "pyproject.toml")
#: a directory with more Python files than this is not taken as one project
MAX_FILES = 20_000


def project_directory(start: str, markers: tuple[str, ...] = MARKERS) -> str | None:
    """The nearest directory at or above ``start`` holding one of ``markers`` (a ``.git`` or a
    ``pyproject.toml``)."""
    current = os.path.abspath(start)
    while True:
        if any(os.path.lexists(os.path.join(current, marker)) for marker in markers):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def python_files(directory: str, exclude: Sequence[str] | None = None,
                 roots: Sequence[str] | None = None) -> list[str] | None:
    """The ``.py`` files of the walk of ``directory`` (``fastapi-perf check``'s: ``exclude``
    patterns, default the usual tool folders; ``.gitignore``; ``roots`` as for
    ``iter_python_files``), or None when there are more than ``MAX_FILES``."""
    from .discovery import DEFAULT_EXCLUDE, iter_python_files

    files: list[str] = []
    for path in iter_python_files([directory], [], exclude=DEFAULT_EXCLUDE if exclude is None else exclude,
                                  roots=roots):
        files.append(path)
        if len(files) > MAX_FILES:
            return None
    return files


def project_files(directory: str) -> list[str] | None:
    """The ``.py`` files of the project in ``directory`` (see the module docstring), or None
    when they cannot be listed (a configuration error, too many files)."""
    from .config import ConfigError, settings_for_directory

    try:
        exclude = settings_for_directory(directory).exclude_patterns()
    except ConfigError:
        return None  # the checks of its files say so
    return python_files(directory, exclude, roots=[directory])


def scope(files: Iterable[str]) -> tuple[list[str], list[str]]:
    """(every file the index of a run checking ``files`` covers, the project directories): the
    files themselves and the files of their projects.  A file its project's listing leaves out
    (excluded, in ``.gitignore``: a vendored tree, a download) brings no project along; a file
    not on disk yet (an editor's new buffer) belongs to the project of its directory."""
    covered: dict[str, str] = {}
    for path in files:
        covered.setdefault(_key(path), path)
    directories: dict[str, str | None] = {}  # a file's directory -> its project's
    listings: dict[str, dict[str, str]] = {}  # project directory -> its files, by key
    projects: list[str] = []
    for key, path in list(covered.items()):
        parent = os.path.dirname(os.path.abspath(path))
        if parent not in directories:
            directories[parent] = project_directory(parent)
        project = directories[parent]
        if project is None:
            continue
        if project not in listings:
            listings[project] = {_key(f): f for f in project_files(project) or ()}
        if project in projects:
            continue
        if key not in listings[project] and os.path.lexists(path):
            continue  # left out by the project's listing (excluded): on its own
        # (a file not saved yet, an editor's new buffer named on stdin, belongs to its project)
        projects.append(project)
        for other_key, other in listings[project].items():
            covered.setdefault(other_key, other)
    return list(covered.values()), projects


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))
