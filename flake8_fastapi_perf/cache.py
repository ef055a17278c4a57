"""The result cache of ``fastapi-perf check``: per-file findings, reused while nothing they
depend on has changed.

Where: ``.fastapi_perf_cache/`` in the project root (the nearest directory with a ``.git`` or
a ``pyproject.toml``), or ``$FASTAPI_PERF_CACHE_DIR``.  One JSON file per set of command-line
paths (``<version>/<hash of the paths>.json``, the 32 most recently used kept), written with one
atomic rename: concurrent runs never see a partial file, the last one to finish wins, and a
file that cannot be read is simply a cold cache.  ``--no-cache`` neither reads nor writes it.

What an entry holds, per checked file: the hash of its bytes (BLAKE2b), the key of the settings
it was checked with, its findings (without fix edits, which are computed when a format needs
them) or its one-line error, and its direct dependencies -- the project files its import
statements can name (:meth:`~.analysis.project.ProjectIndex.dependencies`).

When an entry is valid (everything else is checked again):

* the tool is the same: version and the size/mtime of its own modules (an edited checkout is a
  new tool), and the set of files being checked is the same (a new or removed file can change
  what an import resolves to);
* the file's bytes and settings are the same;
* no file in the transitive closure of its dependencies changed (FPF107 follows helpers only
  through imports, so that closure bounds what its cross-module findings can depend on);
* if its findings asked which coroutines run only at startup (a question about the whole
  project), no file changed at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import deque
from collections.abc import Iterable
from typing import Any

from . import __version__
from .config import Settings
from .diagnostics import Diagnostic

CACHE_DIR_ENV = "FASTAPI_PERF_CACHE_DIR"
DIRECTORY_NAME = ".fastapi_perf_cache"
KEEP = 32  # cache files (sets of command-line paths) kept per tool version
_FORMAT = 1


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def settings_key(settings: Settings) -> str:
    """What of the settings changes a file's findings."""
    return repr((
        settings.select, settings.extend_select, settings.ignore, settings.per_file_ignores,
        settings.extend_blocking, sorted(settings.allow), settings.root,
    ))


def _tool_fingerprint() -> str:
    """The version plus the size and mtime of every module of the package."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts = [__version__, str(_FORMAT)]
    for directory, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(directory, name))
                parts.append(f"{os.path.relpath(os.path.join(directory, name), package)}:{info.st_size}:{info.st_mtime_ns}")
    return content_hash("\n".join(parts).encode())


def cache_directory(root: str) -> str:
    return os.environ.get(CACHE_DIR_ENV) or os.path.join(root, DIRECTORY_NAME)


def _encode(diagnostic: Diagnostic) -> list[Any]:
    d = diagnostic
    return [d.code, d.message, d.line, d.col, d.end_line, d.end_col]


def _decode(item: list[Any]) -> Diagnostic:
    code, message, line, col, end_line, end_col = item
    return Diagnostic(code, message, line, col, end_line, end_col)


class ResultCache:
    """The cache of one run (see the module docstring)."""

    def __init__(self, directory: str, paths: Iterable[str], files: Iterable[str]) -> None:
        self.directory = directory
        self.tool = _tool_fingerprint()
        self.name = content_hash("\0".join(sorted(os.path.abspath(p) for p in paths)).encode())
        self.files_key = content_hash("\0".join(sorted(files)).encode())
        self.old: dict[str, dict[str, Any]] = {}  # path -> entry, of the previous run
        self.new: dict[str, dict[str, Any]] = {}
        self.hashes: dict[str, str] = {}  # path -> hash of the bytes this run saw
        self._valid: set[str] | None = None
        self._load()

    @property
    def _file(self) -> str:
        return os.path.join(self.directory, self.tool, self.name + ".json")

    def _load(self) -> None:
        try:
            with open(self._file, "rb") as fh:
                data = json.loads(fh.read())
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("files") == self.files_key and isinstance(data.get("entries"), dict):
            self.old = data["entries"]

    def see(self, path: str, data: bytes) -> str:
        """Record the bytes of a file of this run; returns their hash."""
        digest = content_hash(data)
        self.hashes[path] = digest
        self._valid = None
        return digest

    def _valid_paths(self) -> set[str]:
        """The files whose old entry still holds (see the module docstring)."""
        if self._valid is not None:
            return self._valid
        old, hashes = self.old, self.hashes
        changed = {p for p, h in hashes.items() if old.get(p, {}).get("hash") != h}
        changed.update(p for p in old if p not in hashes)
        dependents: dict[str, list[str]] = {}
        for path, entry in old.items():
            for dep in entry.get("deps", ()):
                dependents.setdefault(dep, []).append(path)
        stale = set(changed)
        queue = deque(changed)
        while queue:
            for user in dependents.get(queue.popleft(), ()):
                if user not in stale:
                    stale.add(user)
                    queue.append(user)
        if changed:
            stale.update(p for p, entry in old.items() if entry.get("global"))
        self._valid = {p for p in hashes if p in old and p not in stale}
        return self._valid

    def get(self, path: str, settings: Settings) -> tuple[list[Diagnostic], str | None] | None:
        """(findings, error) of ``path`` from the previous run, or None when it must be checked."""
        if path not in self._valid_paths():
            return None
        entry = self.old[path]
        if entry.get("settings") != settings_key(settings):
            return None
        try:
            diagnostics = [_decode(item) for item in entry["diagnostics"]]
        except (KeyError, TypeError, ValueError):
            return None
        self.new[path] = entry
        return diagnostics, entry.get("error")

    def put(self, path: str, settings: Settings, diagnostics: list[Diagnostic], error: str | None,
            deps: Iterable[str], project_wide: bool, digest: str | None = None) -> None:
        """Store the result of checking the bytes whose hash is ``digest`` (default: the hash
        :meth:`see` recorded)."""
        digest = digest or self.hashes.get(path)
        if digest is None:
            return
        self.new[path] = {
            "hash": digest,
            "settings": settings_key(settings),
            "diagnostics": [_encode(d) for d in diagnostics],
            "error": error,
            "deps": sorted(deps),
            "global": project_wide,
        }

    def save(self) -> None:
        """Write this run's entries in one atomic rename; a cache that cannot be written is
        skipped silently (the run's results do not depend on it)."""
        data = json.dumps({"files": self.files_key, "entries": self.new}, separators=(",", ":")).encode()
        directory = os.path.dirname(self._file)
        try:
            os.makedirs(directory, exist_ok=True)
            top = self.directory
            ignore = os.path.join(top, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("# Automatically created by fastapi-perf.\n*\n")
            tag = os.path.join(top, "CACHEDIR.TAG")
            if not os.path.exists(tag):
                with open(tag, "w", encoding="utf-8") as fh:
                    fh.write("Signature: 8a477f597d28d172789f06886806bc55\n# fastapi-perf result cache\n")
            fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(temporary, self._file)
            except BaseException:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
                raise
            self._prune(directory)
        except OSError:
            pass

    def _prune(self, directory: str) -> None:
        """Keep the ``KEEP`` most recently written cache files of this version; drop the other
        versions' directories."""
        try:
            files = [os.path.join(directory, n) for n in os.listdir(directory) if n.endswith(".json")]
            if len(files) > KEEP:
                files.sort(key=lambda f: os.stat(f).st_mtime_ns, reverse=True)
                for old in files[KEEP:]:
                    os.unlink(old)
            for name in os.listdir(self.directory):
                other = os.path.join(self.directory, name)
                if name != self.tool and os.path.isdir(other) and len(name) == 32:
                    for item in os.listdir(other):
                        os.unlink(os.path.join(other, item))
                    os.rmdir(other)
        except OSError:
            pass
