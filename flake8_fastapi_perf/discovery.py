"""Which files a run checks: paths named on the command line, and the .py files below directories.

Directories are walked in sorted order, skipping the usual tool and environment folders (as
ruff does), the `exclude`/`extend-exclude` patterns of the configuration, and whatever the
`.gitignore` files of the tree ignore (nested ones too).  Files named explicitly are always
checked, whatever their suffix (as ruff does).

Bad paths: a path named on the command line that cannot be read (missing, a dangling or looping
symlink) and a directory that cannot be listed are one error line each, ``path:1:1: FPF000
cannot read: <reason>``; the walk goes on.  Symlinked directories are not followed (so a link
to ``..`` cannot loop); symlinked files are, when their real path is inside the directories named
on the command line (``roots``): a walk never reads, or lets ``--fix`` write, a file outside the
tree it was given (a link to ``~/.ssh/config.py`` is skipped with one warning line; named on the
command line, it is checked).  A symlink found in a walk that points nowhere (an Emacs lock file
``.#x.py``, a link into a checkout that is not there) is not a file and is skipped.  A file reached
twice (``check . app.py``) is checked once, under its first name.  A ``.gitignore`` that is a
symlink is not read (as git does not).
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence

#: Directories never walked into (unless named on the command line); `exclude` replaces this list.
DEFAULT_EXCLUDE = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
    ".vscode", "__pypackages__", "__pycache__", "_build", "buck-out", "build", "dist", "node_modules",
    "site-packages", "venv", ".fastapi_perf_cache", "*.egg-info",
)
PYTHON_SUFFIXES = (".py",)


def _gitignore(directory: str):  # type: ignore[no-untyped-def]
    path = os.path.join(directory, ".gitignore")
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):  # a symlink is not followed (nor by git)
            return None
    except OSError:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    import pathspec  # only when a tree has a .gitignore

    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Patterns:
    """Exclude patterns: plain names are a set lookup, globs one compiled regular expression."""

    def __init__(self, patterns: Sequence[str]) -> None:
        import re

        self.names = frozenset(p for p in patterns if not any(c in p for c in "*?[/"))
        globs = [fnmatch.translate(p) for p in patterns if p not in self.names]
        self.regex = re.compile("|".join(globs)) if globs else None

    def match(self, name: str, relative: str) -> bool:
        if name in self.names:
            return True
        regex = self.regex
        return regex is not None and (regex.match(name) is not None or regex.match(relative) is not None)


def _cannot_read(path: str, exc: OSError, what: str = "") -> str:
    return f"{path}:1:1: FPF000 cannot read{what}: {exc.strerror or exc}"


def inside(real: str, roots: Sequence[str]) -> bool:
    """Whether the real path ``real`` is one of ``roots`` (real paths) or below one."""
    return any(real == root or real.startswith(root if root.endswith(os.sep) else root + os.sep) for root in roots)


def outside_message(path: str) -> str:
    return (f"{path}: not checked: a symlink to a file outside the checked directories "
            f"(name it on the command line to check it)")


def _walk(top: str, patterns: Sequence[str], use_gitignore: bool, errors: list[str], roots: Sequence[str],
          skipped: list[str] | None) -> Iterator[tuple[str, str]]:
    """(path, path relative to ``top``) of the Python files below ``top``; a symlinked file whose
    real path is outside ``roots`` (real paths) is not one (``skipped`` gets a line about it)."""
    excluded = _Patterns(patterns)
    # (directory, its path relative to top, [(base directory of a .gitignore, its spec)])
    stack: list[tuple[str, str, list]] = [(top, "", [])]
    while stack:
        directory, prefix, specs = stack.pop()
        if use_gitignore:
            spec = _gitignore(directory)
            if spec is not None:
                specs = [*specs, (directory, prefix, spec)]
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            errors.append(_cannot_read(directory, exc, " directory"))
            continue
        subdirs = []
        for entry in entries:
            relative = prefix + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if not is_dir and not (is_file and entry.name.endswith(PYTHON_SUFFIXES)):
                continue
            if excluded.match(entry.name, relative):
                continue
            if specs and any(
                spec.match_file(relative[len(base_prefix):] + ("/" if is_dir else ""))
                for _, base_prefix, spec in specs
            ):
                continue
            if is_dir:
                subdirs.append((entry.path, relative + "/", specs))  # symlinked dirs are not followed
            elif entry.is_symlink() and not inside(os.path.realpath(entry.path), roots):
                if skipped is not None:
                    skipped.append(outside_message(entry.path))
            else:
                yield entry.path, relative
        stack.extend(reversed(subdirs))


def iter_python_files(
    paths: Sequence[str],
    errors: list[str],
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    use_gitignore: bool = True,
    seen: set[str] | None = None,
    roots: Sequence[str] | None = None,
    skipped: list[str] | None = None,
) -> Iterator[str]:
    """Files named on the command line, and the .py files below named directories (sorted).

    ``errors`` receives one line per path that cannot be read.  ``seen``: pass the same set to
    several calls to get each file once across them (the real paths already yielded).  ``roots``:
    the directories named on the command line (default: the directories of ``paths``); a walk
    skips a symlinked file whose real path is outside all of them, and adds a line about it to
    ``skipped``."""
    if seen is None:
        seen = set()
    if roots is None:
        roots = [path for path in paths if os.path.isdir(path)]
    real_roots = [os.path.realpath(root) for root in roots]
    for path in paths:
        try:
            info = os.stat(path)
        except OSError as exc:
            errors.append(_cannot_read(path, exc))
            continue
        if stat.S_ISDIR(info.st_mode):
            # a walk never follows a symlinked directory, so below the real path of the top every
            # file's real path is that path joined with its relative path (symlinked files aside)
            top = os.path.realpath(path)
            for found, relative in _walk(path, exclude, use_gitignore, errors, real_roots, skipped):
                key = os.path.join(top, relative if os.sep == "/" else relative.replace("/", os.sep))
                if key not in seen:
                    seen.add(key)
                    # keep "./x.py" for "." and "dir/x.py" for "dir", as os.walk did
                    yield found
        else:
            key = os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                yield path
