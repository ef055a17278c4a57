"""The project index: cross-module facts for ``fastapi-perf check`` (never for flake8).

``ProjectIndex.build(files, roots)`` is built once per run from the files being checked.  It
never imports them and parses nothing up front (building only maps paths).  A module is parsed
(one ``ast.parse`` plus the one scope walk) when something needs it: the check of the file
itself, or a call of another module that resolves into it.  ``check_source(..., project=)``
hands the index the text it read and reuses a tree the index already has, so a file parsed for
an importer is not parsed again for its own check.  What the index learns is kept without trees
for the whole run: each module's top-level bindings (``_Exports``, enough to resolve names) and
the blocking chain of every module-level function whose chain was computed (``_facts``).  Trees
are dropped after each file's check (``release``), except those of files still to be checked
and, inside ``session()``, the most recently used ones up to ``RETAIN_BYTES``: keeping every
tree would make the cyclic GC walk them all again and again.  Files without ``async`` (the
prefilter skips them) are parsed only if a coroutine elsewhere calls into them.

What the index gives:

* FPF107 across modules.  ``BlockingIndex.classify`` asks :meth:`ProjectIndex.function` about a
  call the tables do not know; a sync ``def`` of another module is then a helper
  (a ``HelperRef``), and its chain is computed by the ``BlockingIndex`` of its own module --
  the same code as same-module chains, one fixpoint over every module involved, cycles
  included -- or taken from the facts.  Resolved: ``from .helpers import load`` + ``load()``,
  ``from app.services import remote`` + ``remote.fetch()``, ``import app.services.remote as r``
  + ``r.fetch()``, ``from app import services`` + ``services.remote.fetch()``, re-exports
  through a package's ``__init__`` (``from .remote import fetch``, ``from .remote import *``),
  ``Class.method()`` of another module.  The settings of the file being checked apply
  (``extend-blocking`` and ``allow`` also match a helper by the name it is defined as, e.g.
  ``app.helpers.parse``).  With a project, a chain is the shortest one (the earliest call among
  equally short ones), so messages do not depend on the order files are checked in.
* Coroutines that only run at startup/shutdown (:meth:`ProjectIndex.outside_requests`): their
  FPF101-FPF107 findings are dropped (:meth:`ProjectIndex.drop_outside_requests`).

Module names and import roots (the rule):

1. A file in a regular package (its directory holds an ``__init__.py``): walk up while the
   directory holds an ``__init__.py``; the first directory without one is the *import root*
   (``app/services/remote.py`` with ``app/__init__.py`` and ``app/services/__init__.py`` -> the
   directory above ``app``; the name is ``app.services.remote``).
2. A file in a directory without ``__init__.py`` (a top-level module, a script, or a namespace
   package): the import root is the nearest enclosing *anchor*, else the file's own directory.
   Anchors are the directories named on the command line (``roots``) and every directory called
   ``src``, except those holding an ``__init__.py``.  So with ``fastapi-perf check .``,
   ``app/ns/tool.py`` (no ``app/ns/__init__.py``) is ``app.ns.tool``, ``main.py`` is ``main``,
   and ``src/tool.py`` is ``tool``.
3. A file's module name is its dotted path below its import root (``__init__`` names the
   package).  Names appear in messages and are matched against ``extend-blocking``/``allow``;
   resolution itself goes by files (below).  (A regular package inside a namespace package is
   named from the namespace directory down; importers still resolve it.)

Resolving an import never trusts names alone: it looks up files.  A relative import starts
from the importing file's directory (``from ..core import x``: one directory up).  An absolute
import ``a.b.c`` is looked up below the importing file's import root, then the directory its
``__init__.py`` walk ends in (when that differs), then every anchor named on the command line;
the first of these that holds ``a`` (``a.py``, ``a/__init__.py`` or a
directory of project files) decides, and the longest prefix that is a module of the project is
the module, the rest are attributes (functions, re-exports, ``Class.method``).  So
``app/a/utils.py`` and ``app/b/utils.py`` never stand in for each other, and a name that is not
a file of the project (``requests``) is not the project's business.
"""

from __future__ import annotations

import ast
import gc
import json
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..cache import content_hash
from .calls import BlockingIndex, Chain, HelperRef
from .fastapi import APP_CLASSES, OUTSIDE_REQUESTS, FastAPIModel, build_model
from .names import Resolver, join_name as _join
from .reach import Reach, Summary, is_entry, outermost, place, reference
from .served import runner_argument, runs_elsewhere, unserved
from .scope import ClassInfo, FunctionInfo, ModuleInfo, child_nodes, module_level
from .text import TextSummary

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings
    from ..diagnostics import Diagnostic
    from .context import ModuleContext

#: What a message calls a function without a FastAPI role (see ``FastAPIModel.describe``).
_COROUTINE = re.compile(r"\bcoroutine `[^`]+`")
#: Longer dotted names are no one's (see ``_function``).
MAX_DOTS = 40
#: Codes dropped inside coroutines no entry point reaches or that only run at startup/shutdown.
BLOCKING_CODES = frozenset(["FPF101", "FPF102", "FPF103", "FPF104", "FPF105", "FPF106", "FPF107"])
#: A discarded task (FPF504): dropped when its coroutine never suspends (``Reach.quiet_spawn``).
TASK_CODE = "FPF504"
#: Awaiting one of these on a coroutine call awaits the coroutine.
AWAIT_WRAPPERS = frozenset(["asyncio.gather", "asyncio.wait_for", "asyncio.shield"])
#: Only files that mention one of these can hold or register a lifespan/startup/shutdown handler.
HANDLER_NEEDLES = (b"lifespan", b"on_event", b"on_startup", b"on_shutdown", b"add_event_handler")
#: ... and of the ways to run a coroutine outside the server (``analysis.served``).
OFFLINE_NEEDLES = (b"run_until_complete", b"run(", b"@")
_OFFLINE_WORD = re.compile(
    rb"\b(?:asyncio|anyio|trio|uvloop)\.run\(|\brun_until_complete\("
    rb"|^[ \t]*@[ \t]*[\w.]*(?:command|default|callback|group|task|actor|job|shared_task)\b",
    re.MULTILINE,
)
#: The same as whole identifiers (``emit_completion_event`` holds ``on_event``; on open-webui
#: that parsed the 0.3 MB ``utils/middleware.py`` for nothing).  Every registration the model
#: knows is spelt with one of them as an identifier, and ASCII ``\w`` is narrower than an
#: identifier character, so no file that registers a handler is missed.
_HANDLER_WORD = re.compile(rb"(?<![A-Za-z0-9_])(?:%s)(?![A-Za-z0-9_])" % b"|".join(HANDLER_NEEDLES))
#: Line breaks as ``ast`` counts lines.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
#: Inside ProjectIndex.session: bytes of source whose trees stay alive between files, and the
#: first threshold of the cyclic GC (allocations between two young collections).
RETAIN_BYTES = 1_000_000
#: Inside ProjectIndex.session the automatic cyclic GC is off; a full collection runs each time
#: this much source has been parsed since the last one (see ``session``).
COLLECT_BYTES = 32_000_000
#: A module a chain goes into after it was parsed more than this many times (for its own check
#: or for other modules) is a hub (see settle_hubs).
HUB_PARSES = 1

Occurrence = tuple[ast.AST, Any, Any, "FunctionInfo | None"]  # node, parent, grandparent, function


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _parse(source: bytes, filename: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return None


class _Module:
    """A parsed module of the project, alive while a file's check needs it."""

    __slots__ = ("path", "name", "info", "resolver", "source", "model", "occurrences", "indexes", "registered",
                 "_starts")

    def __init__(self, path: str, name: str, info: ModuleInfo, source: bytes | None, registered: bool) -> None:
        self.path = path
        self.name = name
        self.info = info
        self.resolver = Resolver(info)
        self.source = source
        self.model: FastAPIModel | None = None
        self.occurrences: dict[str, list[Occurrence]] | None = None  # per name, filled on demand
        self.indexes: dict[Any, BlockingIndex] = {}  # settings key -> this module's index
        self.registered = registered  # handed in by the check of its own file
        self._starts: list[int] | None = None  # offset of each line in source (see text)

    def text(self, first: int, last: int | None) -> bytes | None:
        """Lines ``first`` to ``last`` (1-based, inclusive; None: to the end) of the source, as
        ``ast`` numbers lines; None without a source.  A name not spelt in them is not used in
        them, if they are ASCII (Python reads ``ｘ`` as ``x``)."""
        if self.source is None:
            return None
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self.source))]
        starts = self._starts
        stop = starts[last] if last is not None and last < len(starts) else None
        return self.source[starts[first - 1]:stop]

    def function(self, qualname: str) -> FunctionInfo | None:
        """The module-level ``def`` or ``Class.method`` called ``qualname``."""
        first, _, rest = qualname.partition(".")
        if not rest:
            return self.info.functions.get(first)
        cls = self.info.classes.get(first)
        return cls.methods.get(rest) if cls is not None and "." not in rest else None


class _Exports:
    """What a module binds at the top level, without its tree: enough to resolve names.
    ``names``: name -> the dotted name it imports (a str), or ``("def", is_async,
    is_generator)``, ``("class", {method: (is_async, is_generator)})``, ``("other",)``."""

    __slots__ = ("names", "stars")

    def __init__(self, info: ModuleInfo) -> None:
        self.stars = [
            "." * stmt.level + (stmt.module or "")
            for stmt in info.tree.body
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)
        ]
        # precedence as in Resolver.local_function: an import wins over a def of the same name.
        # Kept for every module of a run (3,000 on litellm): shared tuples, and other bindings
        # only where they matter (they hide a star import's name; without one, a name that is
        # not here resolves to nothing just the same).
        names: dict[str, str | tuple[Any, ...]] = dict.fromkeys(info.assigns, _OTHER) if self.stars else {}
        for name, cls in info.classes.items():
            names[name] = ("class", {m: _FLAGS[f.is_async, f.is_generator] for m, f in cls.methods.items()})
        for name, fn in info.functions.items():
            names[name] = _DEFS[fn.is_async, fn.is_generator]
        for name, target in info.imports.items():
            names[name] = sys.intern(target)  # the dotted name imported (53,000 on litellm)
        self.names = names


    def to_json(self) -> dict[str, Any]:
        names = {name: b if type(b) is str else ["class", {m: list(f) for m, f in b[1].items()}] if b[0] == "class"
                 else list(b) for name, b in self.names.items()}
        return {"names": names, "stars": list(self.stars)}

    @classmethod
    def from_json(cls, data: Any) -> _Exports:
        """The exports ``to_json`` wrote; a ValueError for anything of another shape."""
        if type(data) is not dict or type(data.get("names")) is not dict or type(data.get("stars")) is not list:
            raise ValueError("not exports")
        exports = cls.__new__(cls)
        if not all(type(star) is str for star in data["stars"]):
            raise ValueError("not a star import")
        exports.stars = data["stars"]
        names: dict[str, str | tuple[Any, ...]] = {}
        for name, binding in data["names"].items():
            if type(binding) is str:
                names[name] = sys.intern(binding)
            elif binding == ["other"]:
                names[name] = _OTHER
            elif type(binding) is list and len(binding) == 3 and binding[0] == "def":
                names[name] = _DEFS[_flags(binding[1:])]
            elif type(binding) is list and len(binding) == 2 and binding[0] == "class" and type(binding[1]) is dict:
                names[name] = ("class", {method: _FLAGS[_flags(f)] for method, f in binding[1].items()})
            else:
                raise ValueError("not a binding")
        exports.names = names
        return exports


def _flags(value: Any) -> tuple[bool, bool]:
    if type(value) is not list or len(value) != 2 or not all(type(v) is bool for v in value):
        raise ValueError("not flags")
    return value[0], value[1]


def record_to_json(record: dict[str, Any]) -> dict[str, Any]:
    """A module's record (``ProjectIndex.keep_record``) as JSON data: its top-level bindings
    (``exports``), entry points (``entries``) and references (``summary``), each when known,
    each as one JSON text: a cache of 3,000 modules then loads as a few strings per module,
    decoded when a module's record is needed (``record_from_json``), not as a million objects."""
    out: dict[str, Any] = {"hash": record["hash"]}
    if "exports" in record:
        exports = record["exports"]
        out["exports"] = _compact(exports.to_json() if exports is not None else None)
    if "entries" in record:
        out["entries"] = _compact([list(e) for e in record["entries"]])
    if "summary" in record:
        summary = record["summary"]
        out["summary"] = _compact(summary.to_json() if summary is not None else None)
    return out


def _compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def record_from_json(data: Any) -> dict[str, Any] | None:
    """The record ``record_to_json`` wrote, or None for anything of another shape (a cache file
    is read, never trusted)."""
    try:
        if type(data) is not dict or type(data.get("hash")) is not str:
            return None
        record: dict[str, Any] = {"hash": data["hash"]}
        if "exports" in data:
            exports = _decoded(data["exports"])
            record["exports"] = None if exports is None else _Exports.from_json(exports)
        if "entries" in data:
            entries = _decoded(data["entries"])
            if type(entries) is not list:
                return None
            record["entries"] = [(sys.intern(e[0]), e[1]) for e in entries
                                 if type(e) is list and len(e) == 2 and type(e[0]) is str and type(e[1]) is str]
            if len(record["entries"]) != len(entries):
                return None
        if "summary" in data:
            summary = _decoded(data["summary"])
            record["summary"] = None if summary is None else Summary.from_json(summary)
        return record
    except (ValueError, TypeError, IndexError, RecursionError):
        return None


def _decoded(text: Any) -> Any:
    if type(text) is not str:
        raise ValueError("not a JSON text")
    return json.loads(text)


_OTHER = ("other",)
_FLAGS = {(a, g): (a, g) for a in (False, True) for g in (False, True)}
_DEFS = {(a, g): ("def", a, g) for a in (False, True) for g in (False, True)}


class ProjectIndex:
    """Module -> functions -> blocking facts, for the files of one ``fastapi-perf check`` run."""

    def __init__(self, files: Iterable[str], roots: Iterable[str] = ()) -> None:
        self._files: dict[str, str] = {}  # normalised path -> path as given
        self._dirs: set[str] = set()  # directories holding project files, and their ancestors
        for file in files:
            path = _norm(file)
            self._files.setdefault(path, file)
            directory = os.path.dirname(path)
            while directory not in self._dirs:
                self._dirs.add(directory)
                parent = os.path.dirname(directory)
                if parent == directory:
                    break
                directory = parent
        #: every name a top-level import could start with to reach a project file: the stems of
        #: the files and the names of their directories (``len``, ``json``: no look-up at all)
        self._stems = {os.path.basename(os.path.splitext(path)[0]) for path in self._files}
        self._stems.update(os.path.basename(directory) for directory in self._dirs)
        self._names: dict[str, str] = {}  # path -> dotted module name
        self._init: dict[str, bool] = {}
        self._anchors: list[str] = []
        for root in roots:
            root = _norm(root)
            if os.path.isdir(root) and not self._has_init(root) and root not in self._anchors:
                self._anchors.append(root)
        self._import_roots: dict[str, tuple[str, str]] = {}  # directory -> (import root, package root)
        # Kept for the whole run (no trees): file texts, top-level bindings, resolved names,
        # blocking facts, startup facts.
        self._sources: dict[str, bytes | None] = {}
        #: False when no file changes during the run (``check``, ``--diff``, ``--jobs`` workers):
        #: the text of a file whose tree is gone is then dropped too (read again if needed; on
        #: litellm, 1 M lines, the texts were 40 MB of the peak RSS), and only its hash kept.
        self.keep_sources = True
        self._digests: dict[str, int] = {}  # path -> hash of a text dropped (see keep_sources)
        self._unsaved: set[str] = set()  # texts handed in that are not the file's (stdin, a fix)
        self._summaries: dict[str, TextSummary] = {}  # of texts not parsed (see _may_define)
        self._exports: dict[str, _Exports | None] = {}  # None: cannot be parsed
        self._resolved: dict[tuple[str, str], HelperRef | None] = {}
        #: the modules each answer of ``_resolved`` and ``_methods`` came from, and the sets
        #: the resolutions under way collect them in (see ``function``)
        self._via: dict[tuple[str, str], frozenset[str]] = {}
        self._method_via: dict[tuple[str, str, str], frozenset[str]] = {}
        self._collectors: list[set[str]] = []
        self._via_sets: dict[frozenset[str], frozenset[str]] = {}
        self._bases: dict[tuple[str, str], list[str]] = {}  # see _bases_of
        #: the project's dependency graph as the check found it: module -> the modules the
        #: answers about the names its functions call came from (``function``, ``method``); a
        #: result cache checks a file again when a module it reaches in this graph changed.
        #: ``new_edges``: those not handed on yet (a ``--jobs`` worker's, see ``take_edges``)
        self.edges: dict[str, set[str]] = {}
        self.new_edges: dict[str, set[str]] = {}
        self._methods: dict[tuple[str, str, str], HelperRef | None] = {}
        self._facts: dict[tuple[Any, str, str], Chain | None] = {}
        #: chains of helpers under constant arguments (see ``BlockingIndex.bind``)
        self.bound_chains: dict[Any, Chain | None] = {}
        #: what binding constants needs from a function's tree (``constants.Facts``), by place
        self.function_facts: dict[tuple[str | None, str, int, int], Any] = {}
        self._reachable: set[tuple[str, str]] | None = None
        self._outside: dict[tuple[str, str], bool] = {}
        #: what the reach learns of each module (``Reach._entries``, ``Reach._summary``): kept by
        #: a result cache under the hash of the module's text.  ``records``: an earlier run's, of
        #: texts unchanged (the cache checked the hashes); ``fresh_records``: this run's, kept
        #: only when ``keeps_records``
        self.records: dict[str, dict[str, Any]] = {}
        self.fresh_records: dict[str, dict[str, Any]] = {}
        self.keeps_records = False
        self._raw_records: dict[str, Any] = {}
        self._old_records: dict[str, Any] = {}  # all of them, of any text (see _carried_reach)
        self._hashes: dict[str, str] = {}
        self.previous_reach: Any = None
        self._previous_reach: Any = None
        self._reach_computed = False
        self._forgotten = False  # a text changed during the run: nothing is carried
        #: what the startup-only answers read (``outside_requests``): the modules, and the names
        #: looked for in every text; an earlier run's (``previous_outside``), carried while no
        #: changed module is one of them or spells one (``outside_unchanged``)
        self._outside_seen: set[str] = set()
        self._outside_needles: set[bytes] = set()
        self.previous_outside: Any = None
        self._outside_verdict: bool | None = None
        self._answers: dict[tuple[str, str], bool] | None = None
        self._entry_reach: Reach | None = None  # see reach()
        #: the unsaved buffers the reach was computed with; None: not computed
        self._entry_reach_extra: frozenset[str] | None = None
        #: the settings of the files checked (for the ``unserved`` patterns)
        self.settings: Settings | None = None
        self._checked: set[str] = set()
        #: what the findings of a file depend on beyond its imports: the startup-only
        #: coroutines asked about (``outside_requests``, qualname -> answer), and the reach
        #: (``reach_fingerprint``); a result cache asks again when a file changed
        self.asked_outside: dict[str, dict[str, bool]] = {}
        self.reach_dependent: set[str] = set()
        #: ``fastapi-perf check`` decides the reach after the last file (``settle``): each
        #: file's check keeps what the walk needs of it, and its findings in functions that are
        #: no entry point wait here -- path -> [(code, line, column, message, place)]
        self.defer_reach = False
        self.pending: dict[str, list[tuple[Any, ...]]] = {}
        self._learner: Reach | None = None
        # Alive while needed (see release): parsed modules, and which module a function is of.
        self._live: dict[str, _Module] = {}
        self._owner: dict[int, _Module] = {}
        self._recent: dict[str, int] = {}  # live paths, least recently used first
        self._budget = 0  # bytes of source whose trees release() keeps (see session)
        self._parsed_since_collect = 0  # bytes (see session)
        self._session = False
        self._own_gc = True
        self.depth = 0  # nested BlockingIndex.chain calls under way
        self._live_bytes = 0  # source bytes of the live modules
        self._grown = False  # a module was parsed (or let go) since the last trim
        self._pinned: dict[str, int] = {}  # paths of modules in hand (see holding) -> holders
        self._parses: dict[str, int] = {}  # path -> times its tree was made
        #: paths of modules another module's chain went into: more chains are likely to (see trim)
        self._served: set[str] = set()
        #: (settings key, path) of modules parsed again for a chain, whose every chain is to be
        #: learnt (see settle_hubs) -> (blocking table, allow list) of those settings (not an
        #: index: it would keep its module's tree); and those done
        self._hubs: dict[tuple[Any, str], tuple[dict[str, str], frozenset[str]]] = {}
        self._hubs_done: set[tuple[Any, str]] = set()
        self._settling = False

    @classmethod
    def build(cls, files: Iterable[str], roots: Iterable[str] = ()) -> ProjectIndex:
        """The index of ``files`` (the files being checked); ``roots``: the directories named on
        the command line.  Cheap: nothing is read or parsed until needed."""
        return cls(files, roots)

    @contextmanager
    def session(self, own_gc: bool = True) -> Iterator[ProjectIndex]:
        """Check the files inside this block.  The index then keeps the trees of the modules it
        used last (``RETAIN_BYTES`` of source), and Python's automatic cyclic GC is off: it
        would walk every live tree again each time a parse allocates its tens of thousands of
        nodes (measured on open-webui, 288 files: CPU time of a run 5.5 s -> 2.9 s).  A
        module's scope objects do form cycles (a method and its class), so a full collection
        runs each time ``COLLECT_BYTES`` of source have been parsed since the last one, which
        bounds the garbage waiting to be freed.  The GC's state is restored on exit.
        ``own_gc=False`` (flake8, whose other plugins share the process): the trees are kept
        the same, and the GC is left as it is."""
        enabled = gc.isenabled() and own_gc
        budget = self._budget
        if own_gc:
            gc.disable()
        self._own_gc = own_gc
        self._budget = RETAIN_BYTES
        self._parsed_since_collect = 0
        self._session = True
        try:
            yield self
        finally:
            self._session = False
            if enabled:
                gc.enable()
            self._budget = budget

    @property
    def session_active(self) -> bool:
        return self._session

    def __contains__(self, filename: str) -> bool:
        return _norm(filename) in self._files

    # -- names and roots ----------------------------------------------------------------------
    def _has_init(self, directory: str) -> bool:
        found = self._init.get(directory)
        if found is None:
            found = os.path.join(directory, "__init__.py") in self._files or os.path.isfile(
                os.path.join(directory, "__init__.py")
            )
            self._init[directory] = found
        return found

    def _is_anchor(self, directory: str) -> bool:
        if directory in self._anchors:
            return True
        return os.path.basename(directory) == "src" and not self._has_init(directory)

    def _roots_of(self, directory: str) -> tuple[str, str]:
        """(import root, package root) of the modules in ``directory``."""
        found = self._import_roots.get(directory)
        if found is not None:
            return found
        package_root = directory
        while True:
            parent = os.path.dirname(package_root)
            if parent == package_root:
                break
            # a regular package, or a directory without __init__.py inside one (a namespace
            # portion: ``import app.ns.tool`` with app/__init__.py and no app/ns/__init__.py)
            if not (self._has_init(package_root) or self._has_init(parent)):
                break
            package_root = parent
        import_root = package_root
        if package_root == directory:
            # a top-level module, or a namespace package: the nearest anchor, if any
            candidate = directory
            while True:
                if self._is_anchor(candidate):
                    import_root = candidate
                    break
                parent = os.path.dirname(candidate)
                if parent == candidate:
                    break
                candidate = parent
        found = (import_root, package_root)
        self._import_roots[directory] = found
        return found

    def module_name(self, filename: str) -> str:
        """The dotted name of a file, from its import root (see the module docstring)."""
        path = _norm(filename)
        name = self._names.get(path)
        if name is None:
            root = self._roots_of(os.path.dirname(path))[0]
            rel = os.path.relpath(os.path.splitext(path)[0], root)
            parts = [p for p in rel.split(os.sep) if p not in ("", os.curdir)]
            if parts and parts[-1] == "__init__":
                parts.pop()
            name = self._names[path] = ".".join(parts) or os.path.basename(root)
        return name

    # -- modules ------------------------------------------------------------------------------
    def _source(self, path: str) -> bytes | None:
        if path not in self._sources:
            try:
                with open(self._files.get(path, path), "rb") as fh:
                    self._sources[path] = fh.read()
            except OSError:
                self._sources[path] = None
        return self._sources[path]

    def _add(self, path: str, info: ModuleInfo, source: bytes | None, registered: bool) -> _Module:
        module = _Module(path, self.module_name(path), info, source, registered)
        self._parsed_since_collect += len(source or b"")
        self._recent[path] = self._recent.pop(path, 0) + 1
        self._parses[path] = self._parses.get(path, 0) + 1
        previous = self._live.get(path)
        if previous is not None:
            self._drop(previous)
        self._live[path] = module
        self._live_bytes += len(source or b"")
        self._grown = True
        if path not in self._exports:
            self._exports[path] = _Exports(info)
            self._summaries.pop(path, None)  # the exports say it all now
            self.keep_record(path, "exports", self._exports[path])
        for fn in info.all_functions:
            self._owner[id(fn)] = module
        if self.defer_reach and self.settings is not None and path not in self._unsaved:
            # what the reach needs of it, now that its tree is here (``Reach.learn``)
            if self._learner is None:
                self._learner = Reach(self, self.settings)
            self._learner.learn(module)
        return module

    def _drop(self, module: _Module) -> None:
        if self._live.get(module.path) is module:
            del self._live[module.path]
            self._live_bytes -= len(module.source or b"")
            self._shed(module.path)
        for fn in module.info.all_functions:
            self._owner.pop(id(fn), None)
        module.info.dispose()

    def _shed(self, path: str) -> None:
        """Drop the text of ``path`` (not live) unless ``keep_sources``; keep its hash, so that
        ``update_source`` still sees a different text."""
        if not self.keep_sources and path not in self._live and path not in self._unsaved:
            text = self._sources.pop(path, None)
            if text is not None:
                self._digests[path] = hash(text)

    def _load(self, path: str) -> _Module | None:
        """The live module of the project file ``path``, parsing it if needed."""
        module = self._live.get(path)
        if module is not None:
            self._recent[path] = self._recent.pop(path, 0) + 1
            return module
        if self._exports.get(path, True) is None:
            return None  # known not to parse
        source = self._source(path)
        tree = _parse(source, self._files.get(path, path)) if source is not None else None
        try:
            info = ModuleInfo(tree) if tree is not None else None
        except (RecursionError, MemoryError):  # as _parse: that module cannot be read, this check goes on
            info = None
        if info is None:
            self._exports[path] = None
            self.keep_record(path, "exports", None)
            return None
        return self._add(path, info, source, registered=False)

    def load_records(self, data: dict[str, Any], hashes: dict[str, str], reach: Any = None,
                     outside: Any = None) -> None:
        """Take an earlier run's records (JSON data of a result cache) of the project's files
        whose text has the same hash now (``hashes``: normalised path -> hash of its bytes), and
        its reach (``reach_json``), carried if nothing it read changed (``_carried_reach``)."""
        self._old_records = data
        self._hashes = hashes
        self.previous_reach = self._previous_reach = reach
        self.previous_outside = outside
        for path, item in data.items():
            if path in self._files and type(item) is dict and item.get("hash") == hashes.get(path):
                self._raw_records[path] = item  # read when needed (``record``)

    def use_cache(self, cache: Any) -> None:
        """Take what a result cache (``cache.ResultCache``, its files seen) kept of the project:
        module records, the reach and the startup-only answers; and keep what this run learns
        for :meth:`store_in`.  Both front ends that keep a cache (``check``, the flake8 plugin)
        go through here."""
        self.keeps_records = True
        self.load_records(cache.modules, cache.hashes, cache.reach, cache.outside)

    def store_in(self, cache: Any) -> None:
        """Hand the cache what it is to write of the project (see :meth:`use_cache`)."""
        cache.new_modules = self.records_json(cache.hashes)
        cache.new_reach = self.reach_json()
        cache.new_outside = self.outside_json()

    def recorded(self) -> dict[str, Any]:
        """The earlier run's records taken (JSON data), for another index of the same files."""
        return self._raw_records

    def record(self, path: str) -> dict[str, Any] | None:
        """What is known of ``path`` without its tree: learnt in this run (``fresh_records``:
        a file's check, a ``--jobs`` worker's), or the earlier run's record (see
        :meth:`load_records`); None if nothing."""
        fresh = self.fresh_records.get(path)
        if fresh is not None:
            return fresh
        record = self.records.get(path)
        if record is None and path in self._raw_records:
            record = record_from_json(self._raw_records[path])
            if record is None:
                del self._raw_records[path]  # of another shape: learnt again
            else:
                self.records[path] = record
        return record

    def records_json(self, hashes: dict[str, str]) -> dict[str, Any]:
        """The records to keep (JSON data): the earlier run's still valid, with what this run
        learnt (of the texts ``hashes`` says the files have)."""
        out: dict[str, Any] = {}
        for path, item in self._raw_records.items():
            if hashes.get(path) == item.get("hash"):
                out[path] = item
        for path, record in self.fresh_records.items():
            if hashes.get(path) != record["hash"]:
                continue
            data = record_to_json(record)
            if out.get(path, {}).get("hash") == data["hash"]:
                data = {**out[path], **data}
            out[path] = data
        for path, targets in self.edges.items():
            if path not in hashes:
                continue
            data = out[path] = dict(out.get(path) or {"hash": hashes[path]})
            known = data.get("edges")
            data["edges"] = sorted(targets.union(known) if type(known) is list else targets)
        return out

    def take_edges(self) -> dict[str, set[str]]:
        """The edges found since the last call (a ``--jobs`` worker hands them on)."""
        new, self.new_edges = self.new_edges, {}
        return new

    def add_edges(self, edges: dict[str, set[str]]) -> None:
        """Take the edges another index of the same files found (a ``--jobs`` worker's)."""
        for path, targets in edges.items():
            self.edges.setdefault(path, set()).update(targets)

    def reach_fingerprint(self) -> str:
        """``Reach.fingerprint`` of :meth:`reach` (``"all"``: every coroutine is reported)."""
        reach = self.reach()
        return reach.fingerprint() if reach is not None else "all"

    def keep_record(self, path: str, field: str, value: Any) -> None:
        """Keep ``value``, what the reach learnt of the module ``path``, as ``field`` of its
        record, under the hash of the text it was learnt from (not a buffer's: not the file's)."""
        if not self.keeps_records or path in self._unsaved:
            return
        record = self.fresh_records.get(path)
        if record is None:
            module = self._live.get(path)
            source = module.source if module is not None and module.source is not None else self._source(path)
            if source is None:
                return
            record = self.fresh_records[path] = {"hash": content_hash(source)}
        record[field] = value

    def cached_tree(self, filename: str, source: bytes) -> ast.Module | None:
        """The tree of ``filename`` if the index has it parsed from exactly ``source``."""
        module = self._live.get(_norm(filename))
        if module is not None and module.source is not None and module.source == source:
            return module.info.tree
        return None

    def register(self, filename: str, tree: ast.Module, source: bytes | None = None) -> _Module:
        """The live module for a tree being checked (the index's own if it parsed this tree).
        Its check is under way again (``release`` marks it done): ``trim`` keeps it meanwhile.
        Without this, a file checked a second time (``--fix`` checks it again) could lose its
        tree, and the scopes with it, in the middle of its check, and with them its findings."""
        path = _norm(filename)
        self._checked.discard(path)
        module = self._live.get(path)
        if module is not None and module.info.tree is tree:
            module.registered = True
            return module
        if module is not None:
            self._forget(path)  # another tree of the same file: start over
        if source is not None:
            self.update_source(filename, source, on_disk=None)
        return self._add(path, ModuleInfo(tree), source, registered=True)

    def update_source(self, filename: str, source: bytes, on_disk: bool | None = False) -> None:
        """The text of ``filename`` the run checks (``check_source`` hands it in, also for
        files the prefilter skips): a text other than the one the index read (stdin, or the
        file changed meanwhile) replaces it, and what the index derived from it is forgotten.
        ``on_disk``: the text is the file's (read from it), so the index may drop it and read
        it again (see ``keep_sources``); None: as known."""
        path = _norm(filename)
        if on_disk:
            self._unsaved.discard(path)
        elif on_disk is not None:
            self._unsaved.add(path)
        known = self._sources.get(path)
        if known is not None and known != source:
            self._forget(path)
        elif known is None and path in self._digests and self._digests.pop(path) != hash(source):
            self._forget(path)
        self._sources[path] = source

    def discard(self, filename: str) -> None:
        """An internal error stopped the check of ``filename`` midway: forget what was derived
        (the names resolved, the chains learnt, the indexes of the live modules), as for a
        changed text, so that no other file's findings depend on how far that check got."""
        self._forget(_norm(filename))

    def _forget(self, path: str) -> None:
        module = self._live.get(path)
        if module is not None:
            self._drop(module)
        self._exports.pop(path, None)
        self._summaries.pop(path, None)
        self.records.pop(path, None)
        self._raw_records.pop(path, None)
        self.fresh_records.pop(path, None)
        self._forgotten = True
        self._sources.pop(path, None)
        self._digests.pop(path, None)
        # Every chain learnt may lead through the old text: those of the other live modules'
        # indexes too (b.via -> a.settle, asked about while a.py held another text).
        for other in self._live.values():
            other.indexes.clear()
        self._resolved.clear()
        self._methods.clear()
        self._via.clear()
        self._method_via.clear()
        self._via_sets.clear()
        self._bases.clear()
        self._facts.clear()
        self.bound_chains.clear()
        self.function_facts.clear()
        self._hubs_done.clear()  # their chains are forgotten too
        self._outside.clear()
        self._reachable = None
        self._entry_reach = None
        self._entry_reach_extra = None

    @contextmanager
    def checking(self, filename: str, source: bytes, on_disk: bool = False) -> Iterator[ProjectIndex]:
        """The check of ``filename`` (its text ``source``) inside this block, for every front
        end: the index takes the text, releases the file after (see ``release``), and, when the
        check raised, forgets what it derived meanwhile (see ``discard``)."""
        try:
            self.update_source(filename, source, on_disk=on_disk)
            try:
                yield self
            finally:
                self.release(filename)
        except Exception:
            self.discard(filename)
            raise

    def release(self, filename: str) -> None:
        """The check of ``filename`` is over: drop the trees no later check needs.

        What the index learnt stays (names, blocking facts, startup facts: no trees).  Inside
        :meth:`session`, the trees of the modules used last stay, up to ``RETAIN_BYTES`` of
        source, including those of files still to be checked (then not parsed twice).  Beyond
        that a tree is dropped even if its own check is still to come: keeping every module an
        ``__init__`` imports alive until its turn took 470 MB on litellm (1 M lines).
        """
        path = _norm(filename)
        self._checked.add(path)
        self._grown = True  # this file's tree may go now
        self.trim()
        self._shed(path)
        if self._session and self._own_gc and self._parsed_since_collect > COLLECT_BYTES:
            self._parsed_since_collect = 0
            gc.collect()

    def is_live(self, path: str) -> bool:
        """The index holds the tree of the project file ``path`` (normalised)."""
        return path in self._live

    def waiting(self) -> list[str]:
        """The files (normalised) still to be checked whose trees the index holds (parsed for
        another file's check), most recently used first: checking one of them next reuses its
        tree, where checking it later, once ``trim`` dropped the tree, parses it again (on
        open-webui, 0.33 MB of the 5.4 MB parsed in a run)."""
        return [
            path
            for path in reversed(self._recent)
            if path in self._files and path not in self._checked and path in self._live
            and not self._live[path].registered
        ]

    @contextmanager
    def holding(self, path: str) -> Iterator[None]:
        """The functions of the module ``path`` are in hand inside this block: ``trim`` keeps
        its tree."""
        self._pinned[path] = self._pinned.get(path, 0) + 1
        try:
            yield
        finally:
            left = self._pinned.pop(path) - 1
            if left:
                self._pinned[path] = left
            else:
                self._grown = True  # its tree may go now

    def trim(self) -> None:
        """Drop trees beyond the budget; never the tree of a file whose check is under way.
        Called after each file's check, after each blocking chain is complete
        (``BlockingIndex.chain``) and after each name resolution, so the trees a check walks
        through do not pile up: what was learnt from them is kept without them.  Trees of files
        whose own check is still to come are dropped last (else they are parsed twice), then
        those of modules other modules' chains went into (more will: open-webui parsed 0.42 MB
        again, 0.26 MB with this); within each, the least recently used first."""
        if not self._grown or self._live_bytes <= self._budget:
            return
        self._grown = False
        keep: list[tuple[int, str]] = []  # (tier, path), most recently used first
        held = 0  # bytes of the trees that must stay
        for path in reversed(list(self._recent)):
            module = self._live.get(path)
            if module is None:
                del self._recent[path]
            elif not (module.registered and path not in self._checked) and path not in self._pinned:
                later = path in self._files and path not in self._checked and not module.registered
                keep.append((0 if later else 1 if path in self._served else 2, path))
            else:
                held += len(module.source or b"")
        keep.sort(key=lambda item: item[0])  # stable: recency within a tier
        # the trees that must stay count against the budget: the check of a 1 MB module keeps
        # no other tree (on litellm, proxy_server.py is 0.94 MB: 2.9 MB of trees were alive)
        budget = self._budget - held
        for _, path in keep:
            module = self._live[path]
            size = len(module.source or b"")
            if size <= budget:
                budget -= size
                continue
            del self._recent[path]
            self._drop(module)

    def model(self, module: _Module) -> FastAPIModel:
        if module.model is None:
            module.model = build_model(module.info, module.resolver)
        return module.model

    # -- blocking facts -----------------------------------------------------------------------
    def blocking_index(self, module: _Module, settings: Settings) -> BlockingIndex:
        """The ``BlockingIndex`` of a live module under ``settings``."""
        return self._index_of(module, (settings.extend_blocking, settings.allow), settings.blocking_table,
                              settings.allow)

    def _index_of(self, module: _Module, key: Any, blocking: dict[str, str], allow: frozenset[str]) -> BlockingIndex:
        """The index of a live module under the settings ``key`` (their table and allow list)."""
        index = module.indexes.get(key)
        if index is None:
            index = module.indexes[key] = BlockingIndex(module.resolver, blocking, allow, self, module.path,
                                                        module.name, key)
        return index

    def _live_function(self, ref: HelperRef) -> tuple[_Module, FunctionInfo] | None:
        module = self._load(ref.path)
        fn = module.function(ref.qualname) if module is not None else None
        if fn is None or fn.is_async != ref.is_async or fn.is_generator != ref.is_generator:
            return None  # not the function the reference was made for (see _def_in_text)
        return module, fn

    def live(self, ref: HelperRef, asking: BlockingIndex) -> tuple[FunctionInfo, BlockingIndex] | None:
        """The function ``ref`` names (its module parsed if it must be) and its module's index
        under the settings of ``asking``: for a chain under constant arguments
        (``BlockingIndex.bound``), which needs the function's body, not only its chain."""
        live = self._live_function(ref)
        if live is None:
            return None
        module, fn = live
        return fn, self._index_of(module, asking.key, asking.blocking, asking.allow)

    def expand(self, ref: HelperRef, asking: BlockingIndex) -> tuple[Chain | None, tuple[FunctionInfo, BlockingIndex] | None]:
        """For the fixpoint of ``BlockingIndex.chain``: (the chain the index knows, None), or
        (None, the live function and the index of its module) to explore."""
        key = (asking.key, ref.path, ref.qualname)
        if key in self._facts:
            return self._facts[key], None
        live = self.live(ref, asking)
        if live is None:
            return None, None
        if ref.path != asking.path:
            self._served.add(ref.path)
        hub = (asking.key, ref.path)
        if self._parses.get(ref.path, 0) > HUB_PARSES and hub not in self._hubs_done:
            self._hubs[hub] = (asking.blocking, asking.allow)
        return None, live

    def settle_hubs(self) -> None:
        """Learn the chain of every sync module-level function and method of the modules parsed
        again to explore a chain (hubs), while their trees are alive: many modules call into a
        hub, each into another of its functions, and a chain learnt needs no tree.  On litellm
        (1 M lines) ``litellm/utils.py`` (0.5 MB) was parsed 44 times, and 91 MB of source was
        parsed again in all: 40 MB now.  A hub whose tree has gone meanwhile waits until it is
        parsed again.  Called between chains (``BlockingIndex.chain``), not inside one."""
        if self._settling or not self._hubs or not self._session:
            return
        self._settling = True
        try:
            while self._hubs:
                hub, (blocking, allow) = self._hubs.popitem()
                key, path = hub
                module = self._live.get(path)
                if module is None:
                    continue  # gone meanwhile: not parsed for this, it is a hub again when it is
                self._hubs_done.add(hub)
                with self.holding(module.path):
                    index = self._index_of(module, key, blocking, allow)
                    for fn in module.info.all_functions:
                        if (not fn.is_async and not fn.is_generator and module_level(fn)
                                and not self.knows(key, path, fn.qualname)):
                            index.chain(fn)
        finally:
            self._settling = False

    def chain_of(self, ref: HelperRef, asking: BlockingIndex) -> Chain | None:
        """The chain of a helper of another module, under the settings of ``asking``."""
        known, live = self.expand(ref, asking)
        if live is None:
            return known
        fn, index = live
        return index.chain(fn)

    def remember(self, fn: FunctionInfo, index: BlockingIndex, chain: Chain | None) -> None:
        """Keep the final chain of a module-level function (or method of a module-level class)
        as a fact without trees."""
        if index.path is None or not module_level(fn):
            return
        self._facts[(index.key, index.path, fn.qualname)] = self.portable(chain)

    def knows(self, key: Any, path: str, qualname: str) -> bool:
        """The chain of the module-level function ``qualname`` of ``path`` under the settings
        ``key`` is known (see ``known``)."""
        return (key, path, qualname) in self._facts

    def known(self, key: Any, path: str, qualname: str) -> Chain | None:
        return self._facts[(key, path, qualname)]

    def learn(self, key: Any, path: str, qualname: str, chain: Chain | None) -> None:
        """Keep the final chain (its helpers ``HelperRef``s) of a module-level function."""
        self._facts[(key, path, qualname)] = chain

    def portable(self, chain: Chain | None) -> Chain | None:
        """``chain`` with every helper a ``HelperRef`` (no tree kept alive by it); its modules
        must be live."""
        if chain is None or all(isinstance(h, HelperRef) for h in chain.helpers):
            return chain
        return Chain(tuple(self.portable_helper(h) for h in chain.helpers), chain.blocking, chain.modules, chain.moded)

    def portable_helper(self, helper: Any) -> HelperRef:
        """``helper`` as a ``HelperRef`` (keeps no tree alive)."""
        if isinstance(helper, HelperRef):
            return helper
        module = self._owner.get(id(helper))
        return HelperRef(module.path if module else "", module.name if module else "", helper.qualname,
                         helper.is_async, helper.is_generator)

    # -- dependencies (for the result cache) ---------------------------------------------------
    # -- resolution ---------------------------------------------------------------------------
    def _file_of(self, base: str) -> str | None:
        """The project file of the module at ``base`` (a path without ``.py``), or None."""
        path = base + ".py"
        if path in self._files:
            return path
        path = os.path.join(base, "__init__.py")
        return path if path in self._files else None

    def _longest(self, root: str, parts: list[str], package: bool) -> tuple[str, int] | None:
        """(file, number of parts it takes) for the longest prefix of ``parts`` that is a
        project module below ``root``; with ``package``, ``root`` itself counts (``from .``)."""
        for k in range(len(parts), 0, -1):
            found = self._file_of(os.path.join(root, *parts[:k]))
            if found is not None:
                return found, k
        if package:
            found = os.path.join(root, "__init__.py")
            if found in self._files:
                return found, 0
        return None

    def _holds(self, root: str, top: str) -> bool:
        base = os.path.join(root, top)
        return self._file_of(base) is not None or base in self._dirs

    def _search_roots(self, from_path: str) -> list[str]:
        import_root, package_root = self._roots_of(os.path.dirname(from_path))
        roots = [import_root]
        if package_root != import_root:
            roots.append(package_root)
        roots.extend(a for a in self._anchors if a not in roots)
        # then the directories above the import root (the nearest first): a test or a script
        # run from the project's top directory imports its packages from there
        # (``tests/test_x.py`` doing ``from app.jobs import f``), as pytest's rootdir and
        # ``python -m`` make it work.  Not the directories inside a package: ``from alembic
        # import command`` in ``app/db/service.py`` is the installed alembic, not ``app/alembic``.
        directory = os.path.dirname(import_root)
        while directory in self._dirs:
            if directory not in roots:
                roots.append(directory)
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        return roots

    def _locate(self, from_path: str, qualname: str) -> tuple[str, list[str]] | None:
        """(module file, remaining attribute names) of a dotted name used in ``from_path``."""
        stripped = qualname.lstrip(".")
        level = len(qualname) - len(stripped)
        parts = stripped.split(".") if stripped else []
        if any(not p for p in parts):
            return None
        if level:
            base = os.path.dirname(from_path)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            found = self._longest(base, parts, package=True)
        else:
            if not parts or parts[0] not in self._stems:
                return None  # no project file or directory has that name
            found = None
            for root in self._search_roots(from_path):
                if self._holds(root, parts[0]):
                    found = self._longest(root, parts, package=False)
                    break
        if found is None:
            return None
        for collected in self._collectors:  # a resolution under way looks into that module
            collected.add(found[0])
        return found[0], parts[found[1]:]

    def function(self, from_path: str | None, qualname: str, record_edges: bool = False) -> HelperRef | None:
        """The project function a dotted name used in the file ``from_path`` refers to, or
        None: module-level functions (through re-exports) and ``Class.method``.

        The modules the answer comes from (each module a step of the resolution looked into)
        are remembered with it; ``record_edges`` (the check's questions, not the reach's) adds
        them to ``edges``: what the findings of ``from_path``'s functions may depend on.

        A name is followed through re-exports (``from .b import fetch``) and star imports
        (``from .b import *``: each base in turn, the first that has it wins) in a loop over an
        explicit stack.  It was a recursion, two or three Python frames a hop: a name
        re-exported through 330 modules stopped the check of the file importing it with a
        RecursionError, and a depth limit on star imports gave up on longer chains of them.
        Every name looked at on the way is remembered with its answer; a cycle of re-exports
        ends where it comes back to a name under way."""
        if from_path is None:
            return None
        key = (from_path, qualname)
        if key in self._resolved:
            via = self._via[key]
        else:
            collected: set[str] = set()
            self._collectors.append(collected)
            try:
                stored = self._resolve_function(key)
            finally:
                self._collectors.pop()
            via = self._shared(collected)
            for name in stored:
                self._via[name] = via
        self._visited(from_path, via, record_edges)
        return self._resolved[key]

    def _shared(self, paths: set[str]) -> frozenset[str]:
        """``paths`` as a frozenset, one object per distinct set (60,000 answers on litellm
        came from a few thousand sets of modules)."""
        key = frozenset(paths)
        return self._via_sets.setdefault(key, key)

    def _visited(self, from_path: str, via: frozenset[str], record_edges: bool) -> None:
        """An answer about a name used in ``from_path`` came from the modules ``via``: what a
        resolution under way collects, and (``record_edges``: a check asked) the edges of the
        project's dependency graph."""
        for collected in self._collectors:
            collected.update(via)
        if record_edges and via:
            known = self.edges.setdefault(from_path, set())
            if not via <= known:
                new = via - known
                known.update(new)
                self.new_edges.setdefault(from_path, set()).update(new)

    def _resolve_function(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        """``function``'s loop; the names it resolved (each remembered in ``_resolved``)."""
        stored: list[tuple[str, str]] = []
        stack: list[tuple[tuple[str, str], Iterator[tuple[str, str]]]] = []  # a name, what to try
        under_way: set[tuple[str, str]] = set()
        while True:
            if key in self._resolved:
                result = self._resolved[key]
                for collected in self._collectors:
                    collected.update(self._via.get(key, ()))
            elif key in under_way:
                result = None  # a cycle of re-exports ends here
            else:
                under_way.add(key)
                step = self._function(key[0], key[1])
                if self._session:
                    # the modules parsed to resolve the name (re-exports) can go; also in the
                    # middle of a chain, which holds (``holding``) the modules it has in hand
                    self.trim()
                if type(step) is list:
                    stack.append((key, iter(step)))
                    result = None  # not found yet: try what it may refer to
                else:
                    result = self._resolved[key] = step
                    stored.append(key)
            while stack:  # hand the answer up, or go on with the next name to try
                name, todo = stack[-1]
                if result is None:
                    following = next(todo, None)
                    if following is not None:
                        key = following
                        break
                stack.pop()
                self._resolved[name] = result
                stored.append(name)
            else:
                return stored

    def method(self, from_path: str, class_name: str, name: str, record_edges: bool = False) -> HelperRef | None:
        """The method ``name`` of the project class ``class_name`` (a dotted name as seen from
        ``from_path``), defined there or inherited from its bases (first base first, depth
        first: the method resolution order of single inheritance chains).  ``record_edges``:
        as for :meth:`function`."""
        key = (from_path, class_name, name)
        if key in self._methods:
            via = self._method_via.get(key, frozenset())  # none yet: a cycle of bases, under way
        else:
            self._methods[key] = None  # a cycle of bases ends here
            collected: set[str] = set()
            self._collectors.append(collected)
            try:
                self._methods[key] = self._method(from_path, class_name, name, 0)
            finally:
                self._collectors.pop()
            via = self._method_via[key] = self._shared(collected)
        self._visited(from_path, via, record_edges)
        return self._methods[key]

    def _method(self, from_path: str, class_name: str, name: str, depth: int) -> HelperRef | None:
        ref = self.function(from_path, f"{class_name}.{name}")
        if ref is not None:
            return ref if "." in ref.qualname else None  # ``app.foo.bar``: not a method
        located = self._locate(from_path, class_name)
        if located is None or len(located[1]) != 1 or depth > 8:
            return None
        path, (cls_name,) = located
        bases = self._bases_of(path, cls_name)
        for base in bases:
            found = self._method(path, base, name, depth + 1)
            if found is not None:
                return found
        return None

    def _exports_stars(self, path: str) -> bool:
        """The module ``path`` has a star import (a name may come from it)."""
        exports = self._exports.get(path)
        return bool(exports.stars) if exports is not None else False

    def _derives(self, path: str, cls_name: str, ancestor: str, from_path: str, depth: int) -> bool:
        """The class ``cls_name`` of the module ``path`` derives from ``ancestor`` (a dotted
        name as seen from ``from_path``), or cannot be told (True)."""
        wanted = self._locate(from_path, ancestor)
        if wanted is None or depth > 8:
            return True
        for base in self._bases_of(path, cls_name):
            located = self._locate(path, base)
            if located is None or len(located[1]) != 1:
                continue  # a library's base
            if (located[0], located[1][0]) == (wanted[0], wanted[1][-1] if wanted[1] else ""):
                return True
            if self._derives(located[0], located[1][0], ancestor, from_path, depth + 1):
                return True
        return False

    def _bases_of(self, path: str, cls_name: str) -> list[str]:
        """The qualified names of the bases of the class ``cls_name`` of the module ``path``,
        remembered (a module parsed again for each method looked up on its classes was
        parsed three times in one run on open-webui)."""
        key = (path, cls_name)
        found = self._bases.get(key)
        if found is not None:
            return found
        module = self._load(path)
        cls = module.info.classes.get(cls_name) if module is not None else None
        bases: list[str] = []
        if module is not None and cls is not None:
            for base in cls.node.bases:
                qualified = module.resolver.qualname(base, None)
                if qualified is None and isinstance(base, ast.Name) and base.id in module.info.classes:
                    qualified = f"{module.name}.{base.id}" if module.name else base.id
                if qualified is not None:
                    bases.append(qualified)
        self._bases[key] = bases
        return bases

    def _function(self, from_path: str, qualname: str) -> HelperRef | list[tuple[str, str]] | None:
        """One step of ``function``: the function, None, or the names (``(module path,
        dotted name)``) it may refer to, to try in turn."""
        if qualname.count(".") > MAX_DOTS:
            # a star import of a module the project does not hold as source (a compiled
            # ``pkg/encoding.so`` under ``from pkg.encoding import *`` in ``pkg/__init__.py``)
            # names the package again: each step would make the name one part longer
            return None
        located = self._locate(from_path, qualname)
        if located is None:
            return None
        path, rest = located
        return self._attribute(path, rest)

    def _exports_of(self, path: str) -> _Exports | None:
        if path in self._exports or self._recorded_exports(path):
            return self._exports[path]
        self._load(path)
        return self._exports.get(path)

    def _recorded_exports(self, path: str) -> bool:
        """Take the exports of ``path`` from an earlier run's record of the same text, if any."""
        record = self.record(path)
        if record is None or "exports" not in record:
            return False
        self._exports[path] = record["exports"]
        return True

    def _attribute(self, path: str, rest: list[str]) -> HelperRef | list[tuple[str, str]] | None:
        if not rest:
            return None  # a module, not a function
        if path not in self._exports and not self._recorded_exports(path):
            if not self._may_define(path, rest):
                return None  # not worth a parse: no such def, import or star import in the text
            if len(rest) == 1:
                found = self._def_in_text(path, rest[0])
                if found is not None:  # what the parse would say, without it
                    self._shed(path)  # not parsed now
                    return HelperRef(path, self.module_name(path), rest[0], found, False)
        exports = self._exports_of(path)
        if exports is None:
            return None
        first = rest[0]
        binding = exports.names.get(first)
        if binding is not None:
            if type(binding) is str:  # an imported name: a re-export, or someone else's
                return [(path, ".".join([binding, *rest[1:]]))]
            kind = binding[0]
            if kind == "def" and len(rest) == 1:
                return HelperRef(path, self.module_name(path), first, binding[1], binding[2])
            if kind == "class" and len(rest) == 2 and rest[1] in binding[1]:
                is_async, is_generator = binding[1][rest[1]]
                return HelperRef(path, self.module_name(path), f"{first}.{rest[1]}", is_async, is_generator)
            return None
        return [(path, _join(base, rest)) for base in exports.stars if self._is_module(path, base)] or None

    def _is_module(self, from_path: str, name: str) -> bool:
        """The dotted module name ``name`` (as imported in ``from_path``) is a project module
        itself, not a name inside one: ``from pkg.encoding import *`` in ``pkg/__init__.py``,
        with ``encoding`` a compiled module, would name ``pkg`` again, and every step through
        it would make the name one part longer (2 M path joins for 63 names on aim)."""
        located = self._locate(from_path, name)
        return located is not None and not located[1]

    def _summary(self, path: str) -> TextSummary:
        """What the text of the unparsed module ``path`` may bind (kept until it is parsed)."""
        summary = self._summaries.get(path)
        if summary is None:
            summary = self._summaries[path] = TextSummary(self._source(path) or b"")
        return summary

    def _may_define(self, path: str, rest: list[str]) -> bool:
        """A look at the text of an unparsed module: can ``rest`` (``name``, ``Class.name`` or
        ``imported.more``) be a function of it?  What ``_attribute`` would find in its exports:
        the first name imported (any ``import`` or ``from`` binding), or a star import, or
        ``def name`` occurs (one name), or ``class Class`` and ``def name`` (two names).  A
        superset, so only a sure "no" skips the parse."""
        may = self._summary(path).may_bind(rest)
        if not may:
            self._shed(path)  # not parsed now
        return may

    def _def_in_text(self, path: str, name: str) -> bool | None:
        """Whether the unparsed module ``path`` binds ``name`` by a plain top-level ``def`` (True:
        ``async def``), when its text says so for sure (``TextSummary.sure``); else None (parse
        it).  Resolving a name into a module of helpers then costs a look-up, not a parse (on
        open-webui 650 kB of the 5.4 MB parsed were first parsed for that, though most of it is
        parsed later anyway for the chains of its sync helpers).  A wrong "sure" costs a
        finding, never a false one: ``_live_function`` checks the parsed def."""
        return self._summary(path).sure.get(name)

    def _refers(self, module: _Module, node: ast.expr, fn: FunctionInfo | None,
                target: FunctionInfo, target_path: str) -> bool | None:
        """Whether ``node`` (a Name or Attribute of ``module``) names ``target``: True, False,
        or None when that cannot be told.  A method is named by attributes only; one on a
        receiver of unknown type may be it (True: such a use must run outside requests too)."""
        resolver = module.resolver
        if target.cls is not None:
            if not isinstance(node, ast.Attribute):
                return False  # a function or variable of that name
            q = resolver.qualname(node, fn)
            if q is not None:
                if self._locate(module.path, q) is None:
                    return False  # a library's (``json.load``)
                found = self.function(module.path, q)
                if found is not None:
                    return (found.path, found.qualname) == (target_path, target.qualname)
            tp = resolver.type_of(node.value, fn)
            receiver_self = False
            if tp is None and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                owner = fn
                while owner is not None and owner.cls is None:
                    owner = owner.parent
                tp, receiver_self = (owner.cls if owner is not None else None), True
            tp = _class_name(module, tp)
            if tp is not None:  # a receiver of known class: this method, or not
                if self._locate(module.path, tp) is None:
                    return False  # an instance of a library's class (a file's ``close``)
                method = self.method(module.path, tp, node.attr)
                if method is not None and (method.path, method.qualname) == (target_path, target.qualname):
                    return True
                # ``self.load()`` in a base class may run a subclass's ``load``
                return receiver_self and self._derives(target_path, target.cls.name, tp, module.path, 0)
            root = _chain_root(node.value)
            if isinstance(root, ast.Name) and not resolver.is_bound_locally(root.id, fn):
                info = module.info
                if root.id in info.imports:
                    if self._locate(module.path, info.imports[root.id]) is None:
                        return False  # made from a library's module (``io.open(p).close()``)
                elif root.id not in info.functions and root.id not in info.classes \
                        and root.id not in info.assigns and not self._exports_stars(module.path):
                    return False  # made by a builtin (``open(p).close()``)
            return True  # a receiver of unknown type: it may be the method
        if isinstance(node, ast.Name):
            name = node.id
            if resolver.is_bound_locally(name, fn):
                return False
            info = module.info
            if name not in info.imports:
                if name in info.functions:  # the target, if this is its module (it is module-level)
                    return module.path == target_path and info.functions[name].qualname == target.qualname
                if name in info.classes or name in info.assigns:
                    return False
                exports = self._exports.get(module.path)
                stars = exports.stars if exports is not None else []
                if not stars:
                    return False  # a builtin, or undefined
                for base in stars:
                    found = self.function(module.path, _join(base, [name]))
                    if found is not None and (found.path, found.qualname) == (target_path, target.qualname):
                        return True
                return None  # maybe from a star import of something unknown
        elif isinstance(node, ast.Attribute) and resolver.type_of(node.value, fn) is not None:
            return False  # an attribute of a value of known type
        elif isinstance(node, ast.Attribute):
            root = _chain_root(node.value)
            if isinstance(root, ast.Name) and resolver.is_bound_locally(root.id, fn):
                return False  # ``session.initialize()``: an attribute of a local value, not a module's
        q = resolver.qualname(node, fn)
        if q is None:
            return None
        if self._locate(module.path, q) is None:
            return False  # not the project's
        found = self.function(module.path, q)
        if found is None:
            return None
        return (found.path, found.qualname) == (target_path, target.qualname)

    # -- coroutines that only run at startup/shutdown -----------------------------------------
    def _startup_reachable(self) -> set[tuple[str, str]]:
        """(path, qualname) of the functions startup/shutdown code may await: the handlers
        (found in the files that mention one of ``HANDLER_NEEDLES``), the functions registered
        as handlers from other modules, and the coroutines they await, transitively.  A cheap
        necessary condition, computed once: only these get the costly look at every use.

        One module is in hand at a time: its functions are explored while its tree is alive,
        functions of other modules wait as (path, qualname), and the trees beyond the budget
        go after each module (holding every handler's module until the end took 60 MB on
        litellm)."""
        if self._reachable is not None:
            return self._reachable
        reached: set[tuple[str, str]] = set()
        others: list[tuple[str, str]] = []  # functions of other modules still to explore
        for path in self._files:
            source = self._source(path)
            offline = source is not None and self._unserved(path)
            if source is None or not (offline or _mentions_handler(source) or _mentions_offline(source)):
                self._shed(path)
                continue
            self._outside_seen.add(path)
            module = self._load(path)
            if module is None:
                continue
            with self.holding(module.path):
                model = self.model(module)
                info = module.info
                if offline:  # a test, a script: everything in it runs outside the server
                    todo = list(info.all_functions)
                else:
                    todo = [fn for fn in info.all_functions if model.role(fn) in OUTSIDE_REQUESTS
                            or runs_elsewhere(fn, info, module.resolver)]
                for call, scope in info.special_calls:
                    fn = scope if isinstance(scope, FunctionInfo) else None
                    for expr in _registered(module, call, fn):
                        self._reach(module, expr, fn, todo, others, only_async=False)
                for fn, call in _all_calls(info):
                    expr = runner_argument(call, module.resolver, fn)
                    if expr is not None:
                        self._reach(module, expr, fn, todo, others, only_async=False)
                self._explore_startup(module, todo, reached, others)
            self.trim()
        explored: set[tuple[str, str]] = set()
        while others:
            key = others.pop()
            if key in explored:
                continue
            explored.add(key)
            self._outside_seen.add(key[0])
            module = self._load(key[0])
            fn = module.function(key[1]) if module is not None else None
            if module is not None and fn is not None:
                with self.holding(module.path):
                    self._explore_startup(module, [fn], reached, others)
                self.trim()
        self._reachable = reached
        return reached

    def _unserved(self, path: str) -> bool:
        """``path`` is a file no server runs (a test, a script: ``analysis.served``)."""
        return self.settings is not None and unserved(self._files.get(path, path), self.settings)

    def _explore_startup(self, module: _Module, todo: list[FunctionInfo], reached: set[tuple[str, str]],
                         others: list[tuple[str, str]]) -> None:
        """Mark ``todo`` (functions of ``module``) and the coroutines they await as reached:
        those of ``module`` now, those of other modules queued on ``others``."""
        seen: set[int] = set()
        while todo:
            fn = todo.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            reached.add((module.path, fn.qualname))
            for call in _awaited_calls(module, fn):
                self._reach(module, call.func, fn, todo, others, only_async=True)

    def _reach(self, module: _Module, expr: ast.expr, fn: FunctionInfo | None, todo: list[FunctionInfo],
               others: list[tuple[str, str]], only_async: bool) -> None:
        """Queue the function ``expr`` names in ``module``: a def of it on ``todo``, one of
        another module on ``others``."""
        local = module.resolver.function_ref(expr, fn)
        if local is not None:
            if local.is_async or not only_async:
                todo.append(local)
            return
        q = module.resolver.qualname(expr, fn)
        ref = self.function(module.path, q) if q is not None else None
        if ref is None and isinstance(expr, ast.Attribute):
            # a method of an instance of known class (``config_service.load()``)
            tp = _class_name(module, module.resolver.type_of(expr.value, fn))
            if tp is not None:
                ref = self.method(module.path, tp, expr.attr)
        if ref is None or (only_async and not ref.is_async):
            return
        if ref.path == module.path:
            found = module.function(ref.qualname)
            if found is not None:
                todo.append(found)
        else:
            others.append((ref.path, ref.qualname))

    def _occurrences(self, module: _Module, name: str) -> list[Occurrence]:
        """Every occurrence of the identifier ``name`` in the module (names, attributes, imported
        names, identifier-like strings) with its parent, grandparent and enclosing function.
        Only the top-level statements whose text holds ``name`` are walked."""
        if module.occurrences is None:
            module.occurrences = {}
        cached = module.occurrences.get(name)
        if cached is not None:
            return cached
        functions = {id(f.node): f for f in module.info.all_functions}
        found: dict[str, list[Occurrence]] = {}
        body = module.info.tree.body
        if module.source is not None:
            needle = name.encode()

            def mentions(stmt: ast.stmt) -> bool:
                first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
                return _names(module.text(first, stmt.end_lineno), needle)  # type: ignore[arg-type]

            body = [stmt for stmt in body if mentions(stmt)]
        stack: list[Occurrence] = [(stmt, module.info.tree, None, None) for stmt in body]
        while stack:
            item = stack.pop()
            node, parent, _, fn = item
            tp = type(node)
            if tp is ast.Name:
                found.setdefault(node.id, []).append(item)  # type: ignore[attr-defined]
                continue
            if tp is ast.Attribute:
                found.setdefault(node.attr, []).append(item)  # type: ignore[attr-defined]
            elif tp is ast.alias:
                found.setdefault(node.name.rpartition(".")[2], []).append(item)  # type: ignore[attr-defined]
                continue
            elif tp is ast.Constant:
                value = node.value  # type: ignore[attr-defined]
                if isinstance(value, str) and value.isidentifier():
                    found.setdefault(value, []).append(item)
                continue
            elif tp is ast.FunctionDef or tp is ast.AsyncFunctionDef:
                inner = functions.get(id(node))
                args = node.args  # type: ignore[attr-defined]
                outer = [
                    *node.decorator_list,  # type: ignore[attr-defined]
                    *args.defaults,
                    *[d for d in args.kw_defaults if d is not None],
                    *[a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
                      if a is not None and a.annotation is not None],
                ]
                if node.returns is not None:  # type: ignore[attr-defined]
                    outer.append(node.returns)  # type: ignore[attr-defined]
                for child in outer:
                    stack.append((child, node, parent, fn))
                for stmt in node.body:  # type: ignore[attr-defined]
                    stack.append((stmt, node, parent, inner))
                continue
            for child in child_nodes(node):
                stack.append((child, node, parent, fn))
        result = found.get(name, [])
        module.occurrences[name] = result
        return result

    def _uses(self, path: str, qualname: str) -> list[tuple[Any, ...]] | None:
        """How the project uses the module-level coroutine ``qualname`` of ``path``: a list of
        ("handler",) for registrations as lifespan/startup/shutdown handler and ("awaited",
        caller's path, caller's qualname, its FastAPI role, whether it is itself a candidate
        coroutine) for calls awaited in a function; None as soon as one use is anything else
        (passed around, called without await, unknown), or when it is no candidate.  What is
        known of a module is taken while its tree is alive; trees beyond the budget go after
        each file."""
        self._outside_seen.add(path)
        home = self._load(path)
        target = home.function(qualname) if home is not None else None
        if target is None or not self._candidate(path, target):
            return None
        name = target.name  # from here on, only its names: its tree may go
        needle = name.encode()
        self._outside_needles.add(needle)
        uses: list[tuple[Any, ...]] = []
        if self._unserved(path) or runs_elsewhere(target, home.info, home.resolver):  # type: ignore[union-attr]
            uses.append(("handler",))  # it runs outside the server: a root like a handler
        # the coroutine's own module first, then live modules: a disqualifying use is usually
        # found there, before any other file is parsed
        files = sorted(self._files, key=lambda f: (f != path, f not in self._live))
        spelt = _names if target.cls is None else _attribute_named  # a method: ``x.name``, ``"name"``
        if target.cls is not None:
            # a method's name is often common: the files where a line uses it without ``await``
            # (a disqualifying use, likely) are parsed first
            def later(f: str) -> bool:
                text = self._source(f)
                if text is None or needle not in text:
                    self._shed(f)  # not read again: skipped below
                    return True
                return f != path and not _unawaited_attribute(text, needle)

            files.sort(key=later)
        for file in files:
            source = self._source(file)
            if source is None or not spelt(source, needle):
                self._shed(file)
                continue
            self._outside_seen.add(file)
            module = self._load(file)
            if module is None:
                return None  # cannot tell what it does with the name
            with self.holding(module.path):
                for node, parent, grand, fn in self._occurrences(module, name):
                    use = self._use(module, path, target, node, parent, grand, fn)
                    if use is False:
                        return None
                    if use is True:
                        continue
                    if use[0] == "handler":
                        uses.append(("handler",))
                    else:
                        caller = use[1]
                        role = self.model(module).role(caller)
                        if role is None and runs_elsewhere(caller, module.info, module.resolver):
                            role = "cli"
                        candidate = role is None and self._candidate(module.path, caller)
                        uses.append(("awaited", module.path, caller.qualname, role, candidate))
            self.trim()
        return uses

    def _use(self, module: _Module, path: str, target: FunctionInfo, node: ast.AST, parent: Any,
             grand: Any, fn: FunctionInfo | None) -> Any:
        """True: not a use of ``target``; False: a use that may run it during requests; else a
        ("handler"|"awaited", caller, module) tuple."""
        tp = type(node)
        if tp is ast.alias:
            alias: ast.alias = node  # type: ignore[assignment]
            if isinstance(parent, ast.ImportFrom) and alias.asname and alias.asname != alias.name:
                # renamed on import: its uses go by another name
                found = self.function(module.path, _join("." * parent.level + (parent.module or ""), [alias.name]))
                return found is not None and (found.path, found.qualname) != (path, target.qualname)
            return True  # an import binding: its uses are found by name
        if tp is ast.Constant:
            # getattr(module, "name"): a dynamic use; other strings are not uses
            return not (
                isinstance(parent, ast.Call)
                and isinstance(parent.func, ast.Name)
                and parent.func.id in ("getattr", "hasattr", "setattr")
            )
        if tp is ast.Name and not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
            # rebinding the coroutine's own name at module level: unknown what runs
            return not (module.path == path and fn is None)
        refers = self._refers(module, node, fn, target, path)  # type: ignore[arg-type]
        if refers is False:
            return True
        if refers is None:
            return False
        if tp is ast.Attribute and not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
            return False  # module.coroutine = something else
        if self._unserved(module.path):
            return ("handler", None, None)  # used by a test or a script: outside the server
        if isinstance(parent, ast.Call) and parent.func is node:
            if fn is not None and id(parent) in fn.awaited:
                return ("awaited", fn, module)
            if (
                fn is not None
                and isinstance(grand, ast.Call)
                and any(arg is parent for arg in grand.args)
                and id(grand) in fn.awaited
                and module.resolver.qualname(grand.func, fn) in AWAIT_WRAPPERS
            ):
                return ("awaited", fn, module)
            if isinstance(grand, ast.Call) and runner_argument(grand, module.resolver, fn) is node:
                return ("handler", None, None)  # asyncio.run(coroutine()): a loop of its own
            return False
        if isinstance(parent, ast.Call) and runner_argument(parent, module.resolver, fn) is node:
            return ("handler", None, None)  # anyio.run(coroutine)
        if _registration(module, node, parent, grand, fn):
            return ("handler", None, None)
        return False

    def outside_requests(self, filename: str, qualname: str) -> bool:
        """``qualname`` (a coroutine of ``filename`` without a FastAPI role, module-level or a
        method of a module-level class) only ever
        runs at startup or shutdown: every use of it in the project is a registration as
        lifespan/startup/shutdown handler, or an awaited call (also through ``asyncio.gather``
        / ``wait_for`` / ``shield``) in such a handler or in a coroutine for which the same
        holds, and at least one such chain starts at a handler.  False whenever a use is
        anything else (passed as a value, called without ``await``, e.g. for a task) or cannot
        be resolved: the index must know every caller.

        Uses are found in the files whose text holds the name, by resolving each occurrence
        (``init_db``, ``config.init_db``, a re-export, a star import); a same-named function of
        another module is not a use; ``getattr(m, "init_db")`` is one of unknown kind.  The
        files of the run are taken to be the whole project: checking a part of it leaves the
        handler out, and nothing is dropped.  Registrations: ``FastAPI(lifespan=f)``
        (``Starlette``, ``APIRouter`` too), ``on_startup=[f]``/``on_shutdown=[f]``,
        ``app.add_event_handler(..., f)``, ``@app.on_event``.  A method's uses are the
        attributes of its name: one on a receiver of unknown type counts (``config.load()``
        awaited per request keeps every ``load`` method reported), one on a receiver of another
        known class does not.  Nested coroutines are never dropped.  Only coroutines that some handler awaits (found once per run from
        the files mentioning ``lifespan``, ``on_event``, ...) get this look at every use."""
        start = _norm(filename)
        key = (start, qualname)
        if key in self._outside:
            return self._outside[key]
        known = self._previous_answers().get(key)
        if known is not None and self.outside_unchanged():
            self._outside[key] = known  # an earlier run's answer, still valid
            return known
        collected: set[str] = set()  # the modules names were resolved through
        self._collectors.append(collected)
        try:
            return self._outside_requests(key)
        finally:
            self._collectors.pop()
            self._outside_seen.update(collected)

    def _outside_requests(self, key: tuple[str, str]) -> bool:
        start, qualname = key
        reachable = self._startup_reachable()
        if key not in reachable:
            self._outside[key] = False
            return False
        # Explore the coroutine and, transitively, the coroutines that await it.
        callers: dict[tuple[str, str], list[tuple[str, str]] | None] = {}  # None: disqualified
        handled: set[tuple[str, str]] = set()  # registered as, or awaited in, a handler
        todo = [(start, qualname)]  # (path, qualname): trees may come and go meanwhile
        while todo:
            path, g = todo.pop()
            gkey = (path, g)
            if gkey in callers:
                continue
            if gkey in self._outside:
                callers[gkey] = [] if self._outside[gkey] else None
                if self._outside[gkey]:
                    handled.add(gkey)
                continue
            uses = self._uses(path, g) if gkey in reachable else None
            if not uses:
                callers[gkey] = None
                continue
            edges: list[tuple[str, str]] = []
            for use in uses:
                if use[0] == "handler":
                    handled.add(gkey)
                    continue
                _, caller_path, caller, role, candidate = use
                if role in OUTSIDE_REQUESTS or role == "cli":
                    handled.add(gkey)
                elif candidate:
                    edges.append((caller_path, caller))
                    todo.append((caller_path, caller))
                else:
                    callers[gkey] = None
                    break
            else:
                callers[gkey] = edges
        # Greatest fixpoint: drop coroutines used otherwise, or awaited by such a coroutine...
        ok = {k for k, edges in callers.items() if edges is not None}
        changed = True
        while changed:
            changed = False
            for k in list(ok):
                if any(caller not in ok for caller in callers[k] or ()):
                    ok.discard(k)
                    changed = True
        # ...and keep those a handler reaches.
        good = {k for k in ok if k in handled}
        changed = True
        while changed:
            changed = False
            for k in ok - good:
                if any(caller in good for caller in callers[k] or ()):
                    good.add(k)
                    changed = True
        for k in callers:
            self._outside[k] = k in good
        return key in good

    def _candidate(self, path: str, fn: FunctionInfo) -> bool:
        """``fn`` may be asked whether it only runs at startup/shutdown: a coroutine without a
        FastAPI role, module-level or a method of a module-level class."""
        module = self._live.get(path)
        if module is None or not fn.is_async:
            return False
        cls = fn.cls
        if cls is None:
            own = module.info.functions.get(fn.name) is fn
        else:
            own = module.info.classes.get(cls.name) is cls and cls.methods.get(fn.name) is fn
        return own and self.model(module).role(fn) is None

    def reach(self) -> Reach | None:
        """What the project's entry points reach (``analysis.reach``), computed once; None
        when every coroutine is to be reported: a project without entry points (a library),
        or the ``every-coroutine`` setting."""
        extra = frozenset(p for p in self._unsaved if p not in self._files)
        if extra != self._entry_reach_extra:
            # (again when a buffer not saved yet comes: its routes are entry points too)
            self._entry_reach_extra = extra
            self._entry_reach = None
            if self.settings is None or not self.settings.every_coroutine:
                reach = self._carried_reach()
                if reach is None:
                    reach = Reach(self, self.settings).compute()
                self._entry_reach = reach if reach.entries else None
            self._reach_computed = True
        return self._entry_reach

    def has_news(self) -> bool:
        """This run learnt something the earlier run's records (``load_records``) do not hold:
        a reach walked (not carried), a module's record or edges, a startup-only answer.  A
        flake8 process that learnt nothing leaves the cache file as it is (litellm's: 22 MB)."""
        reach = self._entry_reach
        if self._reach_computed and (self._previous_reach is None or (reach is not None and reach.saved is None)):
            return True
        for path, record in self.fresh_records.items():
            raw = self._raw_records.get(path)
            if raw is None or raw.get("hash") != record["hash"] or any(f not in raw for f in record):
                return True
        for path, targets in self.edges.items():
            raw = self._raw_records.get(path)
            known = raw.get("edges") if raw is not None else None
            if type(known) is not list or not targets.issubset(known):
                return True
        previous = self._previous_answers()
        return any(key not in previous for key in self._outside)

    @property
    def reach_walked(self) -> bool:
        """The reach was computed (or carried from a cache) in this run."""
        return self._reach_computed

    def reach_json(self) -> dict[str, Any] | None:
        """The reach of this run (computed, or carried from an earlier one) as JSON data, with
        the settings it depends on; None when it was not needed."""
        if self._entry_reach_extra or self.settings is None:
            return None
        if not self._reach_computed:
            # not needed this run: the earlier one's holds while no file changed
            return None if self._forgotten or self._changed() else self._previous_reach
        reach = self._entry_reach
        answer = None if reach is None else reach.saved if reach.saved is not None else _compact(reach.to_json())
        return {"key": _reach_key(self.settings), "answer": answer}

    def _changed(self) -> list[str]:
        """The project files whose text is not the one the earlier run's records were of."""
        old = self._old_records
        return sorted(p for p in self._files if p not in old or type(old[p]) is not dict
                      or old[p].get("hash") != self._hashes.get(p))

    def outside_unchanged(self) -> bool:
        """No answer of ``outside_requests`` the earlier run gave can differ now: no module it
        read changed, and no changed module mentions a lifespan/startup/shutdown handler, runs
        a coroutine outside the server, is a test or script, or spells a name it looked for."""
        if self._outside_verdict is None:
            self._outside_verdict = self._outside_carried()
        return self._outside_verdict

    def _outside_carried(self) -> bool:
        previous = self.previous_outside
        if (type(previous) is not dict or self._forgotten or self._unsaved or self.settings is None
                or previous.get("key") != _reach_key(self.settings)):
            return False
        seen, needles = previous.get("seen"), previous.get("needles")
        if type(seen) is not list or type(needles) is not list or not all(type(n) is str for n in needles):
            return False
        seen = set(seen)
        spelt = [n.encode() for n in needles]
        for path in self._changed():
            if path in seen or self._unserved(path):
                return False
            source = self._source(path)
            if source is None or _mentions_handler(source) or _mentions_offline(source):
                return False
            if any(_names(source, needle) for needle in spelt):
                return False
        return True

    def _previous_answers(self) -> dict[tuple[str, str], bool]:
        """The answers of ``outside_requests`` an earlier run kept (see ``outside_json``)."""
        if self._answers is None:
            self._answers = {}
            previous = self.previous_outside
            items = previous.get("answers") if type(previous) is dict else None
            if type(items) is list:
                for item in items:
                    if type(item) is list and len(item) == 3 and type(item[0]) is str and type(item[1]) is str \
                            and type(item[2]) is bool:
                        self._answers[(item[0], item[1])] = item[2]
        return self._answers

    def outside_json(self) -> dict[str, Any] | None:
        """What the startup-only answers of this run and of the earlier ones still valid read
        (see ``outside_unchanged``), as JSON data."""
        if self.settings is None or self._forgotten:
            return None
        seen, needles = set(self._outside_seen), {n.decode() for n in self._outside_needles}
        answers = dict(self._outside)
        previous = self.previous_outside
        if self._outside_verdict is not False and type(previous) is dict and previous.get("key") == _reach_key(self.settings):
            if type(previous.get("seen")) is list and type(previous.get("needles")) is list:
                seen.update(p for p in previous["seen"] if type(p) is str)
                needles.update(n for n in previous["needles"] if type(n) is str)
                for key, answer in self._previous_answers().items():
                    answers.setdefault(key, answer)
        return {"key": _reach_key(self.settings), "seen": sorted(seen), "needles": sorted(needles),
                "answers": sorted([*key, answer] for key, answer in answers.items())}

    def _carried_reach(self) -> Reach | None:
        """The reach of the run that wrote the result cache, when no module changed what the
        walk reads of it (``Reach.same_facts``): a warm run then needs no walk at all."""
        previous, self.previous_reach = self.previous_reach, None  # one try
        if (not previous or type(previous) is not dict or self._forgotten or self._unsaved
                or self.settings is None or previous.get("key") != _reach_key(self.settings)):
            return None
        try:
            answer = previous.get("answer")
            if answer is None:
                carried = Reach(self, self.settings)  # no entry points then
            else:
                carried = Reach.from_json(self, self.settings, _decoded(answer))
                carried.saved = answer  # written again as it was read
            old = self._old_records
            probe = Reach(self, self.settings)
            for path in self._changed():
                if not probe.same_facts(path, old.get(path), carried.live_class_names()):
                    return None
            return carried
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            return None

    def settle(self, path: str, diagnostics: list[Diagnostic], pending: list[tuple[Any, ...]]) -> list[Diagnostic]:
        """The findings of ``path`` (its check's, with ``defer_reach``) once the reach is known:
        those ``pending`` (see ``pending``) in functions no entry point reaches, or tasks of
        coroutines that never suspend, dropped, the others naming an entry point they are
        reached from."""
        reach = self.reach() if pending else None
        if reach is None:
            return diagnostics
        waiting = {item[:4]: item[4:] for item in pending}
        kept = []
        for d in diagnostics:
            found = waiting.get((d.code, d.line, d.col, d.message))
            if found is not None:
                where, spawn = found
                if reach.quiet_spawn(spawn) or (where is not None and not reach.reaches_place(path, *where)):
                    continue
                if where is None:
                    kept.append(d)
                    continue
                entry = reach.entry_of_place(path, *where)
                if entry is not None:
                    d = replace(d, message=_COROUTINE.sub(lambda m: f"{m.group(0)} (reached from {entry})",
                                                         d.message, count=1))
            kept.append(d)
        return kept

    def drop_outside_requests(self, ctx: ModuleContext, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """``diagnostics`` without the FPF101-FPF107 findings inside functions no entry point
        reaches (see :meth:`reach`) and inside module-level coroutines that only run at
        startup/shutdown (see :meth:`outside_requests`), and without the FPF504 findings whose
        task runs a coroutine that never suspends (``Reach.quiet_spawn``)."""
        relevant = [d for d in diagnostics if d.code in BLOCKING_CODES or d.code == TASK_CODE]
        if not relevant or ctx.path is None:
            return diagnostics
        if self.settings is None:
            self.settings = ctx.settings
        dropped: set[int] = set()
        relabelled: dict[int, str] = {}
        module = self._live.get(ctx.path)
        for d, fn in _innermost_functions(ctx.module.all_functions, relevant):
            if fn is None:
                continue
            if d.code == TASK_CODE:
                # a task dropped anywhere the project runs it (a startup handler's daemon too):
                # only its coroutine decides
                spawn = self._spawned(ctx, fn, d)
                if spawn is not None:
                    self.reach_dependent.add(ctx.path)
                    if self.defer_reach:
                        self.pending.setdefault(ctx.path, []).append((d.code, d.line, d.col, d.message, None, spawn))
                    else:
                        reach = self.reach()
                        if reach is not None and reach.quiet_spawn(spawn):
                            dropped.add(id(d))
                continue
            # in an entry point itself (a route, a dependency...): reached, whatever the rest of
            # the project holds, with no need to walk it
            if module is None or not is_entry(module, self.model(module), outermost(fn)):
                self.reach_dependent.add(ctx.path)  # the answer depends on the reach (the cache)
                if self.defer_reach:
                    self.pending.setdefault(ctx.path, []).append((d.code, d.line, d.col, d.message, place(fn), None))
                    reach = None
                else:
                    reach = self.reach()
                if reach is not None:
                    if not reach.reaches(ctx.path, fn):
                        dropped.add(id(d))
                        continue
                    entry = reach.entry_of(ctx.path, fn)
                    if entry is not None:  # name what the server runs it for
                        relabelled[id(d)] = _COROUTINE.sub(
                            lambda m: f"{m.group(0)} (reached from {entry})", d.message, count=1)
            if self._candidate(ctx.path, fn):
                outside = self.outside_requests(ctx.path, fn.qualname)
                # the answer depends on every file: a result cache asks again (see ``asked_outside``)
                self.asked_outside.setdefault(ctx.path, {})[fn.qualname] = outside
                if outside:
                    dropped.add(id(d))
        if not dropped and not relabelled:
            return diagnostics
        return [replace(d, message=relabelled[id(d)]) if id(d) in relabelled else d
                for d in diagnostics if id(d) not in dropped]

    def project_name(self, dotted: str) -> bool:
        """``dotted`` (as a module's imports spell it) may name something of the project: it is
        relative, or starts with the name of a project file or directory."""
        head = dotted.partition(".")[0]
        return dotted.startswith(".") or (bool(head) and head in self._stems)

    def _spawned(self, ctx: ModuleContext, fn: FunctionInfo, d: Diagnostic) -> tuple[str, ...] | None:
        """The coroutine function the task of the FPF504 finding ``d`` (in ``fn``) runs, as
        ``Reach.quiet_spawn`` takes it: ``("fn", path, qualname)`` of a project function the
        call resolves to, ``("name", name)`` for a method of a receiver of unknown type; None
        when it is not a call of a named function (a coroutine object made elsewhere) or is a
        library's."""
        for call in fn.calls:
            if call.lineno != d.line or call.col_offset != d.col or not call.args:
                continue
            arg = call.args[0]
            func = arg.func if isinstance(arg, ast.Call) else None
            if not isinstance(func, (ast.Name, ast.Attribute)):
                return None
            ref = reference(ctx.resolver, ctx.module, func, fn)
            if ref is None:
                return ("name", func.attr) if isinstance(func, ast.Attribute) else None
            if ref.startswith("f:"):
                return ("fn", ctx.path, ref[2:]) if ctx.path is not None else None
            if ref.startswith("q:") and ctx.path is not None:
                found = self.function(ctx.path, ref[2:], record_edges=True)
                if found is not None:
                    return ("fn", found.path, found.qualname)
                if isinstance(func, ast.Attribute) and self.project_name(ref[2:]):
                    # a method of an object a project module holds (``service_logger.emit()``)
                    return ("name", func.attr)
            return None
        return None


def _reach_key(settings: Settings) -> str:
    """What of the settings the reach depends on."""
    return repr((settings.unserved, settings.extend_unserved, settings.entry_points, settings.every_coroutine,
                 settings.root))


def _innermost_functions(functions: Iterable[FunctionInfo], diagnostics: list[Diagnostic]
                         ) -> Iterator[tuple[Diagnostic, FunctionInfo | None]]:
    """Each diagnostic with the innermost function around its position, in one sweep over both
    sorted by position (functions nest, so the open ones form a stack): O((F + D) log)."""
    def start(f: FunctionInfo) -> tuple[int, int]:
        return (f.node.lineno, f.node.col_offset)

    order = sorted(functions, key=start)
    stack: list[tuple[tuple[int, int], FunctionInfo]] = []  # (end, function), innermost last
    index = 0
    for d in sorted(diagnostics, key=lambda d: (d.line, d.col)):
        position = (d.line, d.col)
        while index < len(order) and start(order[index]) <= position:
            f = order[index]
            index += 1
            while stack and stack[-1][0] < start(f):
                stack.pop()
            stack.append(((f.node.end_lineno or f.node.lineno, f.node.end_col_offset or 0), f))
        while stack and stack[-1][0] < position:
            stack.pop()
        yield d, (stack[-1][1] if stack else None)


def _mentions_handler(source: bytes) -> bool:
    """``source`` has one of ``HANDLER_NEEDLES`` as a whole word (the substring test first: it
    rules out most files at memchr speed)."""
    return any(needle in source for needle in HANDLER_NEEDLES) and _HANDLER_WORD.search(source) is not None


def _names(text: bytes, needle: bytes) -> bool:
    """``text`` may spell the identifier ``needle``: Python reads identifiers in NFKC form
    (`ｉｎｉｔ_db` is `init_db`), so a non-ASCII text is searched normalised."""
    if needle in text:
        return True
    if text.isascii():
        return False
    import unicodedata

    return needle.decode() in unicodedata.normalize("NFKC", text.decode("utf-8", "replace"))


def _attribute_named(text: bytes, needle: bytes) -> bool:
    """``text`` may use a method called ``needle``: as an attribute (``x.needle``, also across
    a line break) or a string (``getattr(x, "needle")``); a non-ASCII text as ``_names``."""
    if needle not in text:
        return False
    if not text.isascii():
        return _names(text, needle)
    name = re.escape(needle)
    return re.search(rb"\.[\s\\]*" + name + rb"(?![A-Za-z0-9_])|[\"']" + name + rb"[\"']", text) is not None


def _chain_root(expr: ast.expr) -> ast.expr:
    """What the chain of attributes, calls and subscripts ``expr`` starts from
    (``store.items[0].load`` -> ``store``)."""
    while isinstance(expr, (ast.Attribute, ast.Call, ast.Subscript)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr


def _class_name(module: _Module, tp: Any) -> str | None:
    """A receiver's type (``Resolver.type_of``) as the dotted name of its class: a qualified
    name as it is, a module-level class of ``module`` under the module's name; else None."""
    if isinstance(tp, ClassInfo):
        return f"{module.name}.{tp.name}" if isinstance(tp.parent, ModuleInfo) else None
    return tp if isinstance(tp, str) else None


def _unawaited_attribute(text: bytes, needle: bytes) -> bool:
    """A line of ``text`` uses the attribute ``needle`` without ``await`` on it."""
    dotted = b"." + needle
    return any(dotted in line and b"await" not in line for line in text.splitlines() if needle in line)


def _mentions_offline(source: bytes) -> bool:
    """``source`` may run a coroutine outside the server: ``asyncio.run(``,
    ``run_until_complete(``, a decorator that may register a CLI command or a job (the
    substring tests first)."""
    return any(needle in source for needle in OFFLINE_NEEDLES) and _OFFLINE_WORD.search(source) is not None


def _all_calls(info: ModuleInfo) -> Iterator[tuple[FunctionInfo | None, ast.Call]]:
    """Every call of the module with the function it is in (None: at module level)."""
    for call in info.module_calls:
        yield None, call
    for fn in info.all_functions:
        for call in fn.calls:
            yield fn, call


def _registered(module: _Module, call: ast.Call, fn: FunctionInfo | None) -> list[ast.expr]:
    """The functions a call registers as lifespan/startup/shutdown handlers."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "add_event_handler":
        return [call.args[1]] if len(call.args) > 1 else []
    if module.resolver.qualname(func, fn) not in APP_CLASSES:
        return []
    found: list[ast.expr] = []
    for kw in call.keywords:
        if kw.arg == "lifespan":
            found.append(kw.value)
        elif kw.arg in ("on_startup", "on_shutdown") and isinstance(kw.value, (ast.List, ast.Tuple)):
            found.extend(kw.value.elts)
    return found


def _awaited_calls(module: _Module, fn: FunctionInfo) -> list[ast.Call]:
    """The calls ``fn`` awaits: directly, or as arguments of an awaited ``asyncio.gather``."""
    found: list[ast.Call] = []
    for call in fn.calls:
        if id(call) not in fn.awaited:
            continue
        found.append(call)
        if call.args and module.resolver.qualname(call.func, fn) in AWAIT_WRAPPERS:
            found.extend(arg for arg in call.args if isinstance(arg, ast.Call))
    return found


def _registration(module: _Module, node: ast.AST, parent: Any, grand: Any, fn: FunctionInfo | None) -> bool:
    """``node`` registers a lifespan/startup/shutdown handler: ``FastAPI(lifespan=node)``,
    ``on_startup=[node]``, ``app.add_event_handler("startup", node)``."""
    if isinstance(parent, ast.keyword):
        return (
            parent.arg == "lifespan"
            and isinstance(grand, ast.Call)
            and module.resolver.qualname(grand.func, fn) in APP_CLASSES
        )
    if isinstance(parent, (ast.List, ast.Tuple)) and isinstance(grand, ast.keyword):
        return grand.arg in ("on_startup", "on_shutdown")
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute):
        return (
            parent.func.attr == "add_event_handler"
            and len(parent.args) > 1
            and parent.args[1] is node
        )
    return False

