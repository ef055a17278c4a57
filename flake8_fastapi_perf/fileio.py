"""Reading and writing users' files: the writer never leaves a partial or stale file behind, never
writes through a symlink out of the checked directories, and never loses an edit made meanwhile.

The write of a fixed file (:func:`write_atomic`):

1. Where: the file's real path.  With ``roots`` (the command line's directories), a file whose
   real path is outside them is refused unless it was named on the command line (``named``): a
   walk may meet a symlink to ``~/.bashrc.py``, a user may name one on purpose.
2. Compare: the file is opened and read once; it must hold the text the fix was computed from.
3. Write: a temporary file next to it (mode and owner copied, flushed to disk).
4. Re-check, just before the rename: the name still leads to the file read (same inode, size,
   mtime) and its content, read again through the descriptor held since step 2, is unchanged.
5. Rename, then check again.  On Linux the temporary file and the file are swapped
   (``renameat2(RENAME_EXCHANGE)``): whatever stood at the name an instant before -- even a file an
   editor renamed into place after step 4 -- is now at the temporary name, and unless it is the
   file read, unchanged, it is swapped back and the fix is not written.  Where that swap is not
   available (another OS, a file system without it), the file is replaced (``os.replace``) and the
   descriptor of step 2 tells whether someone wrote into it after step 4: if so its content is put
   back.  (What this fallback cannot see: an editor's rename in the instant between step 4 and
   the rename.)

A refused or undone write raises :class:`WriteRefused` (one line); the file then holds the user's
text.  A fix of a file larger than the ``fix-max-size`` limit is refused before LibCST sees it
(the command line checks :func:`parse_size` / :func:`format_size` values against it).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable

from .discovery import inside

#: The suffix of the writer's temporary files: ``.<name>.<random>.fastapi-perf`` next to the file.
#: Never ``.py``, so a temporary file is never checked; only a SIGKILL or a power cut between its
#: creation and the rename can leave one behind (any other failure removes it).
TEMPORARY_SUFFIX = ".fastapi-perf"

CHANGED = "not written: the file changed while it was being fixed"
OUTSIDE = ("not written: the file is a symlink to a file outside the checked directories "
           "(name it on the command line to fix it)")

#: ``fix-max-size``: LibCST needs 250 to 400 times a file's size in memory (see the CHANGELOG), so
#: larger files are checked but not fixed.
DEFAULT_FIX_MAX_SIZE = 1000**2
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 2**10, "mib": 2**20, "gib": 2**30}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)\s*")

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
#: Windows does not rename over a file someone holds open: the descriptor is closed before.
_HOLD_OPEN = os.name != "nt"


class WriteRefused(Exception):
    """The file was not written; the message says why, in one line."""


def parse_size(value: object) -> int:
    """A size in bytes from ``2000000``, ``"2000000"``, ``"2 MB"``, ``"512KiB"`` (0: no limit).
    Raises ValueError with a one-line reason."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.fullmatch(value.lower()) if isinstance(value, str) else None
    if match is None or match[2] not in _UNITS:
        raise ValueError(f"expected a size in bytes or with a unit (B, KB, MB, GB, KiB, MiB, GiB), got {value!r}")
    return int(float(match[1]) * _UNITS[match[2]])


def format_size(size: int) -> str:
    """``52400000`` -> ``"52.4 MB"``, ``2000000`` -> ``"2 MB"``, ``900`` -> ``"900 bytes"``."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def allowed(path: str, roots: Iterable[str] | None, named: Iterable[str] = ()) -> bool:
    """Whether ``path`` may be read or written: named on the command line, or its real path inside
    one of ``roots`` (None: anywhere)."""
    if roots is None:
        return True
    absolute = os.path.abspath(path)
    if any(os.path.abspath(n) == absolute for n in named):
        return True
    return inside(os.path.realpath(path), [os.path.realpath(root) for root in roots])


def _read_from_start(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    """The same file, not written since (inode, size, mtime)."""
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _temporary_copy(target: str, data: bytes, info: os.stat_result) -> str:
    """A new temporary file next to ``target`` holding ``data``, with the mode (and the owner, when
    allowed) of ``info``, on disk; removed again if anything fails."""
    directory, name = os.path.split(target)
    try:
        # the name is cut so that the temporary name stays within the usual 255-byte limit
        fd, temporary = tempfile.mkstemp(prefix=f".{name[:200]}.", suffix=TEMPORARY_SUFFIX, dir=directory)
    except OSError as exc:  # a read-only directory or file system, a full disk
        raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
            # root fixing someone else's file keeps its owner; anyone else may keep its group
            try:
                os.chown(temporary, info.st_uid if os.geteuid() == 0 else -1, info.st_gid)
            except OSError:
                pass
    except BaseException as exc:
        _unlink(temporary)
        if isinstance(exc, OSError):  # a full disk
            raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
        raise
    return temporary


# -- the rename -------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2  # <linux/fs.h>
_AT_FDCWD = -100
_renameat2: object = None  # the C function once looked up; False: not available


def _load_renameat2():  # type: ignore[no-untyped-def]
    global _renameat2
    if _renameat2 is None:
        _renameat2 = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc >= 2.28, musl >= 1.2.3
                function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                function.restype = ctypes.c_int
                _renameat2 = function
            except (ImportError, OSError, AttributeError):
                pass
    return _renameat2


def _exchange(a: str, b: str) -> bool:
    """Swap the files at ``a`` and ``b`` in one step (Linux ``renameat2(RENAME_EXCHANGE)``).
    False when that is not available here (the caller falls back to :func:`_replace`)."""
    function = _load_renameat2()
    if not function:
        return False
    import ctypes

    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # kernel or file system
        return False
    raise OSError(code, os.strerror(code), a)


def _replace(a: str, b: str) -> None:
    os.replace(a, b)


class _TextKept(WriteRefused):
    """Not written, and the user's text could not be put back at its name: the temporary file
    holds it and stays."""


def write_atomic(path: str, data: bytes, expected: bytes, *, roots: Iterable[str] | None = None,
                 named: Iterable[str] = ()) -> None:
    """Replace ``path`` with ``data`` in one rename, keeping its mode (and its owner, when allowed),
    unless it no longer holds ``expected`` (see the module docstring for the steps).

    Refuses when the file is read-only (by its mode bits, also for root), not a regular file, no
    longer holds ``expected``, or (``roots``) lies outside ``roots`` through a symlink and is not in
    ``named``.  The temporary file lives in the same directory, so the rename is atomic: a reader
    (or a kill at any moment) sees the old or the new file, never a mix; on any failure it is
    removed and the original is untouched.  A symlink stays a symlink: the file it points to is
    replaced.  (A hard link is not kept: the other names keep the old content.)
    """
    if not allowed(path, roots, named):
        raise WriteRefused(OUTSIDE)
    write = _Write(os.path.realpath(path), expected)
    try:
        write.read()
        write.commit(data)
    finally:
        write.close()


class _Write:
    """One write of :func:`write_atomic`: the descriptor of the file read is held to the end."""

    def __init__(self, target: str, expected: bytes) -> None:
        self.target = target
        self.expected = expected
        self.fd: int | None = None
        self.info: os.stat_result | None = None

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def read(self) -> None:
        """Step 2: open the file (not through a symlink, not a FIFO) and compare."""
        try:
            self.fd = os.open(self.target, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK)
            self.info = os.fstat(self.fd)
            if not stat.S_ISREG(self.info.st_mode):
                raise WriteRefused("cannot write: not a regular file")
            if not self.info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
                raise WriteRefused("cannot write: the file is read-only")
            current = _read_from_start(self.fd)
        except OSError as exc:
            raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
        if current != self.expected:
            raise WriteRefused(CHANGED)

    def unchanged(self) -> bool:
        """The file read still is as read (size, mtime, content), wherever its name now is."""
        assert self.fd is not None and self.info is not None
        return _same(os.fstat(self.fd), self.info) and _read_from_start(self.fd) == self.expected

    def at(self, name: str) -> bool:
        """Whether the file read is at ``name``, unchanged."""
        assert self.info is not None
        try:
            return _same(os.stat(name, follow_symlinks=False), self.info) and self.unchanged()
        except OSError:
            return False

    def commit(self, data: bytes) -> None:
        """Steps 3 to 5."""
        assert self.info is not None
        temporary = _temporary_copy(self.target, data, self.info)
        try:
            self._rename(temporary)
        except _TextKept:
            raise
        except BaseException as exc:
            _unlink(temporary)
            if isinstance(exc, OSError):
                raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
            raise
        _unlink(temporary)  # after a swap, the text read

    def _rename(self, temporary: str) -> None:
        assert self.info is not None
        target = self.target
        if not self.at(target):
            raise WriteRefused(CHANGED)
        if _exchange(temporary, target):
            if self.at(temporary):
                return
            # the user's text (an edit, or a file renamed into place) is at temporary: swap back
            try:
                if not _exchange(temporary, target):
                    _replace(temporary, target)
            except OSError as exc:
                raise _TextKept(f"not written, but the file changed meanwhile and its new text is in "
                                f"{temporary} ({exc.strerror or exc})") from exc
            raise WriteRefused(CHANGED)
        if not _HOLD_OPEN:
            self.close()
            _replace(temporary, target)
            return
        _replace(temporary, target)
        if not self.unchanged():
            # someone wrote into the file between the re-check and the rename: put their text back
            assert self.fd is not None
            restore = _temporary_copy(target, _read_from_start(self.fd), self.info)
            try:
                _replace(restore, target)
            except BaseException:
                _unlink(restore)
                raise
            raise WriteRefused(CHANGED)
