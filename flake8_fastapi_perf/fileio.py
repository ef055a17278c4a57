"""Reading and writing users' files: the writer never leaves a partial or stale file behind."""

from __future__ import annotations

import os
import stat
import tempfile

#: The suffix of the writer's temporary files: ``.<name>.<random>.fastapi-perf`` next to the file.
#: Never ``.py``, so a temporary file is never checked; only a SIGKILL or a power cut between its
#: creation and the rename can leave one behind (any other failure removes it).
TEMPORARY_SUFFIX = ".fastapi-perf"


class WriteRefused(Exception):
    """The file was not written; the message says why, in one line."""


def write_atomic(path: str, data: bytes, expected: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename, keeping its mode (and its owner, when allowed).

    Refuses when the file is read-only (by its mode bits, also for root) or no longer holds
    ``expected`` (it changed since it was read).  The temporary file lives in the same directory,
    so the rename is atomic: a reader (or a kill at any moment) sees the old or the new file,
    never a mix; on any failure it is removed and the original is untouched.  A symlink stays a
    symlink: the file it points to is replaced.  (A hard link is not kept: the other names keep
    the old content.)
    """
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
    except OSError as exc:
        raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WriteRefused("cannot write: the file is read-only")
    try:
        with open(target, "rb") as fh:
            current = fh.read()
    except OSError as exc:
        raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
    if current != expected:
        raise WriteRefused("not written: the file changed while it was being fixed")
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
        os.replace(temporary, target)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
        raise
