"""Whether other modules may import a name from a module: asked before a fix drops an import
that it left unused (``from time import sleep`` after ``sleep(1)`` became ``await
asyncio.sleep(1)``), since ``from app.utils import sleep`` elsewhere would then fail.

The answer comes from the texts of the project's files, not a parse: a file that mentions both
the module's name and the imported name may import one from the other, and then the import
stays.  A wrong "yes" costs an unused import; a wrong "no" would break another module, so every
doubt is a yes.  The project is the nearest directory above the file that holds ``.git``,
``pyproject.toml``, ``setup.py`` or ``setup.cfg``; without one, the file's own directory.  Its
files are found as ``fastapi-perf check`` walks a directory, whichever files the run checks
(pre-commit passes only the changed ones).
"""

from __future__ import annotations

import os

#: Project markers: the directory that holds one is the top of the project.
MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
#: Files larger than this are not read (generated code, data): assume they import it.
MAX_BYTES = 5_000_000

_memo: dict[tuple[str, str, str], bool] = {}
_trees: dict[str, list[str] | None] = {}


def project_directory(path: str) -> str:
    """The top of the project ``path`` (a file) is in (more markers than ``workspace``'s: every
    doubt is a yes here)."""
    from ..workspace import project_directory as nearest

    directory = os.path.dirname(os.path.abspath(path))
    return nearest(directory, MARKERS) or directory


def _python_files(top: str) -> list[str] | None:
    """The .py files of the project (the walk of ``fastapi-perf check``, not confined to
    ``top`` nor to its ``exclude`` patterns: every doubt is a yes); None: too many."""
    if top not in _trees:
        from ..workspace import python_files

        _trees[top] = python_files(top)
    return _trees[top]


def imported_elsewhere(filename: str, name: str) -> bool:
    """Whether a module other than ``filename`` may import ``name`` from it (see the module
    docstring)."""
    path = os.path.realpath(filename) if filename and filename != "-" else ""
    if not path or not os.path.isdir(os.path.dirname(path)):
        return True  # stdin without a file name: who imports it is unknown
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem == "__init__":
        return True
    top = project_directory(path)
    key = (top, stem, name)
    if key in _memo:
        return _memo[key]
    needles = (name.encode(), stem.encode("utf-8", "surrogateescape"))
    files = _python_files(top)
    answer = files is None
    for other in files or ():
        real = os.path.realpath(other)
        if real == path:
            continue
        try:
            if os.path.getsize(real) > MAX_BYTES:
                answer = True
                break
            with open(real, "rb") as fh:
                text = fh.read()
        except OSError:
            continue
        if all(needle in text for needle in needles):
            answer = True
            break
    _memo[key] = answer
    return answer
