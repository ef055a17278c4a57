"""Reading and writing users' files: the writer never leaves a partial or stale file behind."""

from __future__ import annotations

import os
import stat
import tempfile


class WriteRefused(Exception):
    """The file was not written; the message says why, in one line."""


def write_atomic(path: str, data: bytes, expected: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename, keeping its mode.

    Refuses when the file is read-only (by its mode bits, also for root) or no longer holds
    ``expected`` (it changed since it was read).  The temporary file lives in the same directory,
    so the rename is atomic; on any failure it is removed and the original is untouched.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WriteRefused("cannot write: the file is read-only")
    try:
        with open(path, "rb") as fh:
            current = fh.read()
    except OSError as exc:
        raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
    if current != expected:
        raise WriteRefused("not written: the file changed while it was being fixed")
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".fastapi-perf", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        os.replace(temporary, path)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteRefused(f"cannot write: {exc.strerror or exc}") from exc
        raise
