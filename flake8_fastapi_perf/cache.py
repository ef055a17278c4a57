"""The result cache of ``fastapi-perf check``: per-file findings, reused while nothing they
depend on has changed.

Where: ``.fastapi_perf_cache/`` in the project root (the nearest directory with a ``.git`` or
a ``pyproject.toml``), or ``$FASTAPI_PERF_CACHE_DIR``.  One JSON file per set of command-line
paths (``<version>/<hash of the paths>.json``, the 32 most recently used kept), written with one
atomic rename: concurrent runs never see a partial file, the last one to finish wins, and a
file that cannot be read is simply a cold cache.  ``--no-cache`` neither reads nor writes it.

What an entry holds, per checked file: the hash of its bytes (BLAKE2b), the key of the settings
it was checked with, its findings (without fix edits, which are computed when a format needs
them) or its one-line error, its direct dependencies -- the modules its calls were resolved
through (:attr:`~.analysis.project.ProjectIndex.edges`) -- and what its findings asked of the
whole project: the fingerprint of what the entry points reach
(``Reach.fingerprint``) and the answers about coroutines that only run at startup
(``ProjectIndex.outside_requests``).

Beside the entries, per module of the project (checked or not): what the reach learnt of its
text (its top-level bindings, entry points and references, ``ProjectIndex.records_json``),
under the hash of that text.  A warm run computes the reach from them without parsing the
modules that did not change; the index checks each record's shape before using it.

When an entry is valid (everything else is checked again):

* the tool is the same: version and the size/mtime of its own modules (an edited checkout is a
  new tool), and the set of files being checked is the same (a new or removed file can change
  what an import resolves to);
* the file's bytes and settings are the same;
* no module it reaches in the dependency graph changed: its dependencies, theirs (the edges
  every module's record keeps), and so on -- a chain into another module is computed by that
  module's own resolutions, so the closure bounds what its cross-module findings depend on;
* if any file changed, the project gives the answers its findings asked for again: the same
  reach fingerprint, the same answer for each startup-only coroutine (asked again, which is
  far cheaper than checking the file again: an edit that adds no route, reference or startup
  call keeps every such entry).

The cache directory may come with an untrusted repository (a committed ``.fastapi_perf_cache``
full of symlinks) or be shared with other tools (``FASTAPI_PERF_CACHE_DIR=~/.cache``), so the
cache writes, reads and deletes only what it made (see docs/security.md):

* A directory is *ours* when it is a real directory (opened with ``O_NOFOLLOW | O_DIRECTORY``),
  owned by the effective user, and holds a marker, ``CACHEDIR.TAG`` (a regular file, the
  cache-directory tag of https://bford.info/cachedir/) whose last line names the directory's own
  inode number.  The marker is written right after the ``mkdir`` (or into an empty directory,
  which is adopted); a marker committed to a repository or copied with a directory names another
  inode, so such a directory is not ours.
* Every operation is relative to a directory descriptor opened without following a symlink
  (``dir_fd=``), files are opened with ``O_NOFOLLOW`` and written as a temporary file renamed into
  place (a rename replaces a symlink, never writes through it).
* The top directory: a symlink, something that is not a directory, or a directory of another
  user is refused (a warning, and the run goes on without the cache).  If it is ours,
  ``.gitignore`` is written there (again when it is missing or empty); if not (a shared
  directory, or a cache of an earlier release), nothing is written there but our version
  directory.  The version directory must be ours (or new, or empty): else a warning, no cache.
* Pruning removes, in directories that are ours only, regular files with the cache's own names
  (``<32 hex>.json``, its temporary files), then the marker and the directory (``rmdir``: what
  is not ours stays, and so does the directory).
* A cache file is read only when it is a regular file of at most ``MAX_FILE_SIZE`` bytes, and
  each entry is checked field by field: an entry of another shape is dropped (that file is
  checked again and its entry rewritten).
* Where these system calls are missing (Windows), there is no cache.  Any other ``OSError``
  (a read-only file system, a full disk, no permission) means a run without the cache, silently:
  the findings do not depend on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from . import __version__
from .config import Settings
from .diagnostics import Diagnostic

CACHE_DIR_ENV = "FASTAPI_PERF_CACHE_DIR"
DIRECTORY_NAME = ".fastapi_perf_cache"
KEEP = 32  # cache files (sets of command-line paths) kept per tool version
_FORMAT = 2

#: The marker of a directory the cache made (see the module docstring).
MARKER = "CACHEDIR.TAG"
SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_MARKER_LINE = "# fastapi-perf directory: "
GITIGNORE = ".gitignore"
GITIGNORE_TEXT = b"# Automatically created by fastapi-perf.\n*\n"
#: A larger cache file is not read (a cold cache); it would be a project of some 200,000 files.
MAX_FILE_SIZE = 256 * 2**20
#: A temporary file of ours older than this (its writer was killed) is removed when pruning.
STALE_SECONDS = 3600

_VERSION_DIRECTORY = re.compile(r"[0-9a-f]{32}")
_CACHE_FILE = re.compile(r"[0-9a-f]{32}\.json")
_TEMPORARY = re.compile(r"\.(?:[0-9a-f]{32}\.json|\.gitignore|CACHEDIR\.TAG)\.[0-9a-f]{12}\.tmp")
_CODE = re.compile(r"FPF[0-9]{3}")
_MAX_INT = 2**31 - 1  # lines and columns of a cache entry (a larger number is a corrupt entry)

SUPPORTED = (
    hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and hasattr(os, "geteuid")
    and {os.open, os.mkdir, os.rename, os.rmdir, os.stat, os.unlink} <= os.supports_dir_fd
    and os.listdir in os.supports_fd
)
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


class CacheRefused(Exception):
    """The cache directory is not safe to use; the message (one line) says why."""


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def settings_key(settings: Settings) -> str:
    """What of the settings changes a file's findings."""
    return repr((
        settings.select, settings.extend_select, settings.ignore, settings.per_file_ignores,
        settings.extend_blocking, sorted(settings.allow), settings.root, settings.unserved,
        settings.extend_unserved, settings.entry_points, settings.every_coroutine,
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


# -- entries: what a cache file may hold ------------------------------------------------------

def _number(value: object, low: int) -> bool:
    return type(value) is int and low <= value <= _MAX_INT


def _valid_diagnostic(item: object) -> bool:
    if type(item) is not list or len(item) != 6:
        return False
    code, message, line, col, end_line, end_col = item
    return (
        type(code) is str and _CODE.fullmatch(code) is not None and type(message) is str
        and _number(line, 1) and _number(col, 0) and _number(end_line, 1) and _number(end_col, 0)
    )


def _valid_entry(entry: object) -> bool:
    """An entry as :meth:`ResultCache.put` writes it, field by field."""
    if type(entry) is not dict:
        return False
    deps, diagnostics, error = entry.get("deps"), entry.get("diagnostics"), entry.get("error")
    reach, outside = entry.get("reach"), entry.get("outside")
    return (
        type(entry.get("hash")) is str and type(entry.get("settings")) is str
        and (error is None or type(error) is str) and (reach is None or type(reach) is str)
        and type(outside) is list
        and all(type(o) is list and len(o) == 2 and type(o[0]) is str and type(o[1]) is bool for o in outside)
        and type(deps) is list and all(type(d) is str for d in deps)
        and type(diagnostics) is list and all(_valid_diagnostic(d) for d in diagnostics)
    )


def valid_entries(data: object, files_key: str) -> dict[str, dict[str, Any]]:
    """The entries of a loaded cache file that have the right shape (an empty dict for a file of
    another set of files or of another shape)."""
    if type(data) is not dict or data.get("files") != files_key or type(data.get("entries")) is not dict:
        return {}
    return {path: entry for path, entry in data["entries"].items() if _valid_entry(entry)}


# -- directories that are ours ------------------------------------------------------------------

def _marker_text(inode: int) -> bytes:
    return (
        f"{SIGNATURE}\n"
        "# This file is a cache directory tag created by fastapi-perf (its result cache).\n"
        "# For information about cache directory tags, see: https://bford.info/cachedir/\n"
        f"{_MARKER_LINE}{inode}\n"
    ).encode()


def _read_bounded(fd: int, limit: int) -> bytes | None:
    """The content of the open file ``fd``, or None when it holds more than ``limit`` bytes."""
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def _open_regular(directory: int, name: str, limit: int) -> bytes | None:
    """The content of the regular file ``name`` in ``directory`` (not through a symlink, not a
    FIFO, at most ``limit`` bytes, owned by us), else None."""
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=directory)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_size > limit:
            return None
        return _read_bounded(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def is_ours(fd: int) -> bool:
    """Whether the directory ``fd`` (opened with ``_DIRECTORY_FLAGS``) was made by the cache: owned
    by the effective user, with a marker that names its inode."""
    info = os.fstat(fd)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    marker = _open_regular(fd, MARKER, 4096)
    if marker is None:
        return False
    lines = marker.decode("utf-8", "replace").splitlines()
    return bool(lines) and lines[0] == SIGNATURE and f"{_MARKER_LINE}{info.st_ino}" in lines


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_file(directory: int, name: str, data: bytes | Iterable[str]) -> None:
    """Write ``name`` in ``directory`` in one rename of a new temporary file: a reader sees the
    old file or the new one, a full disk leaves the old one, and a symlink named ``name`` is
    replaced, never written through.  ``data``: bytes, or text in pieces (a cache file of 20
    MB is written as it is encoded, never held whole)."""
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, _CREATE_FLAGS, 0o666, dir_fd=directory)
    try:
        try:
            if isinstance(data, bytes):
                _write_all(fd, data)
            else:
                pending: list[str] = []
                size = 0
                for piece in data:
                    pending.append(piece)
                    size += len(piece)
                    if size >= 1 << 20:
                        _write_all(fd, "".join(pending).encode())
                        pending, size = [], 0
                _write_all(fd, "".join(pending).encode())
        finally:
            os.close(fd)
        os.rename(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException:
        _unlink(directory, temporary)
        raise


def _unlink(directory: int, name: str) -> None:
    """Remove ``name`` from ``directory`` if it is a regular file (a symlink, a directory, a FIFO
    stay)."""
    try:
        if stat.S_ISREG(os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode):
            os.unlink(name, dir_fd=directory)
    except OSError:
        pass


def _mark(fd: int) -> None:
    _write_file(fd, MARKER, _marker_text(os.fstat(fd).st_ino))


def _is_empty(fd: int) -> bool:
    """Nothing in it but our temporary files (a concurrent run marking it)."""
    return all(_TEMPORARY.fullmatch(name) for name in os.listdir(fd))


def _open_directory(parent: int, name: str, shown: str) -> int:
    """Open the directory ``name`` of ``parent`` without following a symlink; a symlink or a
    non-directory there is a :class:`CacheRefused`."""
    try:
        return os.open(name, _DIRECTORY_FLAGS, dir_fd=parent)
    except OSError:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)  # why (ELOOP, ENOTDIR, ...)?
        if stat.S_ISLNK(info.st_mode):
            raise CacheRefused(f"cache directory {shown} is a symlink: running without the result cache") from None
        if not stat.S_ISDIR(info.st_mode):
            raise CacheRefused(f"cache directory {shown} is not a directory: running without the result cache") from None
        raise


def open_directory(parent: int, name: str, shown: str, must_be_ours: bool) -> tuple[int, bool]:
    """``(descriptor, ours)`` of the directory ``name`` in ``parent``, made (and marked) if it is
    missing; an empty directory of ours is adopted.  Raises :class:`CacheRefused` when it is a
    symlink, not a directory, another user's, or (``must_be_ours``) not made by the cache."""
    made = False
    try:
        fd = _open_directory(parent, name, shown)
    except FileNotFoundError:
        try:
            os.mkdir(name, 0o777, dir_fd=parent)
            made = True
        except FileExistsError:  # a concurrent run made it
            pass
        fd = _open_directory(parent, name, shown)
    try:
        if os.fstat(fd).st_uid != os.geteuid():
            raise CacheRefused(f"cache directory {shown} belongs to another user: running without the result cache")
        if is_ours(fd):
            return fd, True
        if made or _is_empty(fd):
            _mark(fd)
            return fd, True
        if must_be_ours:
            raise CacheRefused(f"cache directory {shown} was not made here by fastapi-perf (a copy?): running "
                               f"without the result cache (delete it to use the cache again)")
        return fd, False
    except BaseException:
        os.close(fd)
        raise


class ResultCache:
    """The cache of one run (see the module docstring).

    When the directory cannot be used, ``usable`` is False (every method then does nothing) and
    ``warning`` holds the line to show the user, if the reason is one they should know."""

    def __init__(self, directory: str, paths: Iterable[str], files: Iterable[str]) -> None:
        self.directory = os.path.abspath(directory)
        self.tool = _tool_fingerprint()
        self.name = content_hash("\0".join(sorted(os.path.abspath(p) for p in paths)).encode())
        self.files_key = content_hash("\0".join(sorted(files)).encode())
        self.old: dict[str, dict[str, Any]] = {}  # path -> entry, of the previous run
        self.seen: dict[str, str] = {}  # path -> hash of a file the previous run read, not checked
        self.new: dict[str, dict[str, Any]] = {}
        self.hashes: dict[str, str] = {}  # path -> hash of the bytes this run saw
        #: path -> what the reach learnt of a module (JSON data, see ``analysis.reach``), of the
        #: previous run and of this one; the project index checks its shape and hash
        self.modules: dict[str, Any] = {}
        self.new_modules: dict[str, Any] = {}
        #: what the entry points reached (``ProjectIndex.reach_json``), of the previous run and of this one
        self.reach: Any = None
        self.new_reach: Any = None
        #: what the startup-only answers read (``ProjectIndex.outside_json``), previous and new
        self.outside: Any = None
        self.new_outside: Any = None
        self._seen_kept: dict[str, str] | None = None  # see save_records
        #: what the project says now, asked only when a file changed and an entry depends on
        #: it: the fingerprint of what its entry points reach (``Reach.fingerprint``), and
        #: whether a coroutine only runs at startup (``ProjectIndex.outside_requests``)
        self.reach_fingerprint: Callable[[], str] | None = None
        self.outside_requests: Callable[[str, str], bool] | None = None
        self.outside_unchanged: Callable[[], bool] | None = None  # no answer can differ (quick)
        self._valid: set[str] | None = None
        self.warning: str | None = None
        self._top: int | None = None  # descriptors of the top and the version directory
        self._version: int | None = None
        self._top_ours = False
        try:
            self._open()
        except CacheRefused as exc:
            self.warning = str(exc)
            self.close()
        except OSError:
            self.close()
        else:
            self._load()

    @property
    def usable(self) -> bool:
        return self._version is not None

    def _open(self) -> None:
        if not SUPPORTED:
            raise OSError("the cache needs O_NOFOLLOW and dir_fd")
        parent, name = os.path.split(self.directory)
        if not name:
            raise CacheRefused(f"cache directory {self.directory} is a root directory: running without the result cache")
        try:
            parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:  # FASTAPI_PERF_CACHE_DIR=~/.cache/fastapi-perf, no ~/.cache yet
            os.makedirs(parent, exist_ok=True)
            parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            self._top, self._top_ours = open_directory(parent_fd, name, self.directory, must_be_ours=False)
        finally:
            os.close(parent_fd)
        self._version, _ = open_directory(self._top, self.tool, os.path.join(self.directory, self.tool),
                                          must_be_ours=True)

    def close(self) -> None:
        for fd in (self._version, self._top):
            if fd is not None:
                os.close(fd)
        self._top = self._version = None

    def _load(self) -> None:
        assert self._version is not None
        data = _open_regular(self._version, self.name + ".json", MAX_FILE_SIZE)
        if data is None:
            return
        try:
            loaded = json.loads(data)
        except (ValueError, RecursionError):  # not JSON, an int of 5,000 digits, nesting 100,000 deep
            return
        self.old = valid_entries(loaded, self.files_key)
        if self.old and type(loaded.get("seen")) is dict:
            # the hashes of the files the run read but did not check (the rest of their projects)
            self.seen = {p: h for p, h in loaded["seen"].items() if type(h) is str}
        if type(loaded) is dict and loaded.get("files") == self.files_key and type(loaded.get("modules")) is dict:
            self.modules = loaded["modules"]
            self.reach = loaded.get("reach")
            self.outside = loaded.get("outside")

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
        old, hashes, seen = self.old, self.hashes, self.seen
        changed = {
            p for p, h in hashes.items()
            if (old[p]["hash"] if p in old else seen.get(p)) != h
        }
        changed.update(p for p in old if p not in hashes)
        # who depends on whom: the edges the check found (``ProjectIndex.edges``), of the
        # checked files (their entries) and of the other modules their chains went through
        dependents: dict[str, list[str]] = {}
        for path, entry in old.items():
            for dep in entry["deps"]:
                dependents.setdefault(dep, []).append(path)
        for path, record in self.modules.items():
            edges = record.get("edges") if type(record) is dict else None
            if type(edges) is list:  # all the run found (an entry's deps: those of its own check)
                for dep in edges:
                    if type(dep) is str:
                        dependents.setdefault(dep, []).append(path)
        stale = set(changed)
        queue = deque(changed)
        while queue:
            for user in dependents.get(queue.popleft(), ()):
                if user not in stale:
                    stale.add(user)
                    queue.append(user)
        if changed:
            # findings kept or dropped by what the whole project says: still valid while it
            # says the same (an edit that adds no route, reference or startup call changes nothing)
            asking = [p for p, entry in old.items() if entry.get("reach") is not None and p not in stale]
            if asking:
                current = self._ask(self.reach_fingerprint)
                stale.update(p for p in asking if old[p]["reach"] != current)
            asking = [p for p, entry in old.items() if entry["outside"] and p not in stale and p in hashes]
            if asking and not self._ask(self.outside_unchanged):
                for p in asking:
                    if any(self._ask(self.outside_requests, p, q) != answer for q, answer in old[p]["outside"]):
                        stale.add(p)
        self._valid = {p for p in hashes if p in old and p not in stale}
        return self._valid

    @staticmethod
    def _ask(question: Callable[..., Any] | None, *args: Any) -> Any:
        """The project's answer now, or None when it cannot be had (the file is checked again,
        and says what went wrong)."""
        if question is None:
            return None
        try:
            return question(*args)
        except Exception:
            return None

    def get(self, path: str, settings: Settings) -> tuple[list[Diagnostic], str | None] | None:
        """(findings, error) of ``path`` from the previous run, or None when it must be checked."""
        if path not in self._valid_paths():
            return None
        entry = self.old[path]
        if entry["settings"] != settings_key(settings):
            return None
        self.new[path] = entry
        return [_decode(item) for item in entry["diagnostics"]], entry["error"]

    def put(self, path: str, settings: Settings, diagnostics: list[Diagnostic], error: str | None,
            deps: Iterable[str], outside: dict[str, bool], digest: str | None = None,
            reach: str | None = None) -> None:
        """Store the result of checking the bytes whose hash is ``digest`` (default: the hash
        :meth:`see` recorded).  What the findings depend on beyond ``deps``: ``outside``, the
        answers of ``outside_requests`` they had (coroutine -> answer), ``reach``, the
        fingerprint of the reach."""
        digest = digest or self.hashes.get(path)
        if digest is None:
            return
        self.new[path] = {
            "hash": digest,
            "settings": settings_key(settings),
            "diagnostics": [_encode(d) for d in diagnostics],
            "error": error,
            "deps": sorted(deps),
            "outside": sorted([q, a] for q, a in outside.items()),
            "reach": reach,
        }

    def save_records(self) -> None:
        """Write what the project index learnt (``new_modules``, ``new_reach``, ``new_outside``)
        and keep the previous run's entries and hashes as they were: the flake8 plugin, which
        checks files but keeps no findings, shares the records with ``fastapi-perf check``."""
        self.new = dict(self.old)
        self._seen_kept = self.seen
        self.save()

    def save(self) -> None:
        """Write this run's entries in one atomic rename, then prune; a cache that cannot be
        written is skipped silently (the run's results do not depend on it)."""
        if self._version is None or self._top is None:
            return
        unchecked = {p: h for p, h in self.hashes.items() if p not in self.new}
        if self._seen_kept is not None:
            unchecked = self._seen_kept
        data = json.JSONEncoder(separators=(",", ":")).iterencode(
            {"files": self.files_key, "entries": self.new, "seen": unchecked, "modules": self.new_modules,
             "reach": self.new_reach, "outside": self.new_outside})
        try:
            if self._top_ours:
                try:
                    self._write_gitignore()
                except OSError:
                    pass
            _write_file(self._version, self.name + ".json", data)
            self._prune()
        except OSError:
            pass
        finally:
            self.close()

    def _write_gitignore(self) -> None:
        """``.gitignore`` in a top directory of ours, again when it is missing or empty (a full disk)."""
        assert self._top is not None
        try:
            info = os.stat(GITIGNORE, dir_fd=self._top, follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_size:
                return
        except FileNotFoundError:
            pass
        _write_file(self._top, GITIGNORE, GITIGNORE_TEXT)

    def _prune(self) -> None:
        """Keep the ``KEEP`` most recently written cache files of this version and no stale
        temporary file; remove the other versions' directories that are ours."""
        assert self._top is not None and self._version is not None
        now = time.time()
        files = []
        for directory in (self._version, self._top) if self._top_ours else (self._version,):
            for name in os.listdir(directory):
                cache_file = directory == self._version and _CACHE_FILE.fullmatch(name)
                if not (cache_file or _TEMPORARY.fullmatch(name)):
                    continue
                try:
                    info = os.stat(name, dir_fd=directory, follow_symlinks=False)
                except OSError:
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue
                if cache_file:
                    files.append((info.st_mtime_ns, name))
                elif now - info.st_mtime > STALE_SECONDS:  # its writer was killed
                    _unlink(directory, name)
        files.sort(reverse=True)
        for _, name in files[KEEP:]:
            _unlink(self._version, name)
        for name in os.listdir(self._top):
            if name != self.tool and _VERSION_DIRECTORY.fullmatch(name):
                _remove_directory(self._top, name)


def _remove_directory(parent: int, name: str) -> None:
    """Remove the version directory ``name`` of ``parent`` if it is ours: its cache files, then
    its marker and itself, unless something else is in it (then it stays ours, marker kept)."""
    try:
        fd = os.open(name, _DIRECTORY_FLAGS, dir_fd=parent)
    except OSError:  # a symlink, a file, gone
        return
    try:
        if not is_ours(fd):
            return
        other = False
        for item in os.listdir(fd):
            if _CACHE_FILE.fullmatch(item) or _TEMPORARY.fullmatch(item):
                _unlink(fd, item)
            elif item != MARKER:
                other = True
        if other:
            return
        _unlink(fd, MARKER)
        try:
            os.rmdir(name, dir_fd=parent)
        except OSError:  # a file appeared meanwhile: keep the directory recognisable as ours
            _mark(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
