"""Which files a run checks: paths named on the command line, and the .py files below directories."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

#: Directories never walked into (unless named on the command line).
EXCLUDED_DIRS = frozenset(
    [".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "build", "dist",
     "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".fastapi_perf_cache", "site-packages"]
)
PYTHON_SUFFIXES = (".py",)


def iter_python_files(paths: Sequence[str], errors: list[str]) -> Iterator[str]:
    """Files named on the command line, and the .py files below named directories (sorted)."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS and not d.endswith(".egg-info"))
                for name in sorted(files):
                    if name.endswith(PYTHON_SUFFIXES):
                        yield os.path.join(root, name)
        elif os.path.exists(path):
            yield path
        else:
            errors.append(f"{path}: error: no such file or directory")
