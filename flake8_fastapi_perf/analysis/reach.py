"""What the server may run: the functions reached from the project's entry points.

An *entry point* is a function FastAPI or Starlette runs while it serves (a FastAPI role of
``fastapi.build_model``: path operations, websockets, dependencies, middleware, exception
handlers, background tasks, lifespan tasks, and the lifespan itself, whose objects live on),
a function that builds an app or starts a server (``FastAPI(...)``, ``Starlette(routes=...)``,
``uvicorn.run``/``uvicorn.Server``: an app factory, a bootstrap), in a file some server runs
(not a test, script or docs example: ``served.unserved``), plus the ``entry-points`` the
settings name.  From there the reach follows *references*, not only calls: a function named
anywhere in reached code (called, passed as a callback, stored in a registry, in an
annotation) is reached; a project class named there is *live* (a parameter annotated with
the class says the function handles its instances), as is every project class derived from a
live one (plugins loaded by name subclass a base the server names, also under an alias:
``import Base as _Base``).  A method of a live class is reached once reached code uses its
name (``x.method``, ``getattr(x, "method")``: an instance's methods are called through
receivers whose type is seldom known), a dunder at once; every method of a class with a
library base (the library may call any by name: a logging handler's ``emit``, an endpoint
class's ``get``) or named in the ``entry-points`` setting.  The module of anything
reached runs its top-level code (registrations, singletons), and a function decorated there
by a method (``@sio.on("x")``, ``@registry.register``) is reached too.

What is not followed: the target of a thread or process (``Thread(target=f)``,
``Process(target=f)``, ``executor.submit(f)``, ``to_thread(f)``, ``run_in_threadpool(f)``):
it runs off the event loop, and the coroutines it starts run on loops of their own; and the
coroutine ``asyncio.run(f())`` / ``loop.run_until_complete(f())`` runs (a loop of its own).

Each module is read once into a ``Summary`` (its references per function and class, no
tree), so the walk parses a module at most once.  A project without any entry point (a
library, an SDK) has no reach: every coroutine is reported, as with the ``every-coroutine``
setting.  The reach is over-approximated on purpose (any method of a live class whose name
is used, any reference): what it leaves out is code no entry point names, directly or through a project
class: a CLI's, a worker's, a client SDK's, a notebook kernel's running in a process or on a
loop of its own.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
from collections import deque
from typing import TYPE_CHECKING, Any

from ..data.state import SUSPENDING_METHOD_NAMES
from .fastapi import APP_CLASSES, FastAPIModel
from .names import join_name
from .scope import ClassInfo, FunctionInfo
from .served import runner_argument, runs_elsewhere, unserved

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings
    from .project import ProjectIndex, _Module

#: Calls whose function arguments run off the event loop (a thread, a process, a pool).
OFFLOADERS = frozenset([
    "threading.Thread",
    "threading.Timer",
    "multiprocessing.Process",
    "multiprocessing.context.Process",
    "asyncio.to_thread",
    "starlette.concurrency.run_in_threadpool",
    "fastapi.concurrency.run_in_threadpool",
    "anyio.to_thread.run_sync",
    "anyio.to_process.run_sync",
])
#: Methods whose function arguments run off the event loop (``executor.submit(f)``).
OFFLOAD_METHODS = frozenset(["submit", "run_in_executor", "apply_async", "map"])
#: Decorators that only wrap a function: being decorated by them registers it nowhere.
WRAPPERS = frozenset(["property", "staticmethod", "classmethod", "setter", "getter", "deleter",
                      "cached_property", "abstractmethod", "overload", "override", "wraps", "partial",
                      "contextmanager", "asynccontextmanager", "lru_cache", "cache", "cached",
                      "singledispatch", "singledispatchmethod", "total_ordering", "deprecated",
                      "validate_call", "validate_arguments", "retry", "timeout", "traced", "trace",
                      "observe", "instrument", "measure", "timed", "log_calls", "fixture", "mark"])
#: Bases that call none of a class's methods by name.
NEUTRAL_BASES = frozenset(["object", "ABC", "ABCMeta", "Protocol", "Generic"])
#: Calls that start an ASGI server: the function making one builds what the server keeps.
SERVER_RUNNERS = frozenset([
    "uvicorn.run", "uvicorn.Server", "uvicorn.Config", "uvicorn.main.run", "uvicorn.server.Server",
    "uvicorn.config.Config", "hypercorn.asyncio.serve", "hypercorn.trio.serve", "granian.Granian",
    "granian.server.Granian",
])
#: Text a module holding an entry point has (``build_model`` needs an import of FastAPI or
#: Starlette, or a coroutine named like a lifespan; a server bootstrap imports its server).
_ENTRY_TEXT = re.compile(rb"(?:^|[\s;])(?:from|import)[ \t]+(?:fastapi|starlette|uvicorn|hypercorn|granian)"
                         rb"|async[ \t]+def[ \t]+\w*lifespan",
                         re.MULTILINE | re.IGNORECASE)
_CLASS_LINE = re.compile(rb"^[ \t]*class[ \t]+\w+[ \t]*\(([^)]*)\)", re.MULTILINE)
_IDENT = re.compile(rb"[A-Za-z_]\w*")
_ALIAS = re.compile(rb"\b([A-Za-z_]\w*)[ \t]+as[ \t]+([A-Za-z_]\w*)")

Key = tuple[str, str]  # (normalised path, qualname)


class Reach:
    """The functions and classes reached from the entry points of ``index``'s project."""

    def __init__(self, index: ProjectIndex, settings: Settings | None) -> None:
        self.index = index
        self.settings = settings
        self.functions: set[Key] = set()  # (path, "f" or "Class.method")
        self.classes: set[Key] = set()  # live (path, "Class")
        self.modules: set[str] = set()  # modules whose top-level code runs
        self.entries = 0
        #: (kind, path, name), first in first out: the trail to an item is a shortest one
        self._todo: deque[tuple[str, str, str]] = deque()
        self._class_refs: dict[tuple[str, str], Key | None] = {}
        self._subclass_files: dict[bytes, list[str]] | None = None
        self._searched: set[Key] = set()
        self._summaries: dict[str, Summary | None] = {}
        #: how each item was reached: the item whose references named it first; the entries'
        #: labels (``GET /items/{id}``, ``middleware `Timing.dispatch```) end the trail
        self._via: dict[tuple[str, str, str], tuple[str, str, str] | None] = {}
        self._labels: dict[tuple[str, str, str], str] = {}
        self._current: tuple[str, str, str] | None = None
        self._targets: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {}
        self._fingerprint: str | None = None
        #: the reached coroutines that never suspend (``_settle_quiet``): (path, qualname), and
        #: the names every reached coroutine of that name is such a coroutine for
        self.quiet: set[Key] = set()
        self.quiet_names: set[str] = set()
        #: the attribute names reached code uses (``a:`` references), and the methods of live
        #: classes waiting for their name to be used
        self._attributes: set[str] = set()
        self._waiting: dict[str, list[tuple[str, str, str]]] = {}
        self._every_method: set[Key] = set()  # configured classes: all their methods
        self.saved: str | None = None  # ``to_json`` of a reach carried from a cache, as its JSON text

    # -- the answer ---------------------------------------------------------------------------
    def reaches(self, path: str, fn: FunctionInfo) -> bool:
        """``fn`` (of the module ``path``) may run on the server: its outermost function (a
        nested def runs when that does) is reached, or is a method of a live class."""
        return self.reaches_place(path, *place(fn))

    def reaches_place(self, path: str, qualname: str, cls: str | None) -> bool:
        """``reaches`` for the outermost function ``qualname`` (a method of the class ``cls``)."""
        return (path, qualname) in self.functions

    def entry_of(self, path: str, fn: FunctionInfo) -> str | None:
        """The label of an entry point that reaches ``fn`` (``GET /items/{id}``), by the trail
        the walk took; None when it cannot be told."""
        return self.entry_of_place(path, *place(fn))

    def entry_of_place(self, path: str, qualname: str, cls: str | None) -> str | None:
        """``entry_of`` for the outermost function ``qualname`` (a method of the class ``cls``)."""
        item: tuple[str, str, str] | None = ("fn", path, qualname)
        if item not in self._via and cls is not None:
            item = ("class", path, cls)
        seen = 0
        while item is not None and seen <= len(self._via):
            label = self._labels.get(item)
            if label is not None:
                return label
            item = self._via.get(item)
            seen += 1
        return None

    # -- the walk -----------------------------------------------------------------------------
    def quiet_spawn(self, spawn: tuple[str, ...] | None) -> bool:
        """The coroutine a task is spawned on (``spawned``: ``("fn", path, qualname)`` or
        ``("name", name)``) never suspends: it runs to its end in the task's first step, while
        the loop still holds the task, so nothing of it can be lost if the task is dropped."""
        if spawn is None:
            return False
        if spawn[0] == "fn":
            return (spawn[1], spawn[2]) in self.quiet
        return spawn[0] == "name" and spawn[1] in self.quiet_names

    def _unresolved(self, path: str, ref: str) -> bool:
        """``q:a.b.c`` (of the module ``path``), under a project module's name, resolves to no
        function or class of the project: an attribute of an object a module holds."""
        name = ref[2:]
        return ("." in name.lstrip(".") and self.index.project_name(name)
                and not any(kind != "module" for kind, _, _ in self._targets_of(path, ref)))

    def _settle_quiet(self) -> None:
        """Which reached coroutines never suspend: none of their awaits (``Summary.awaits``)
        can.  An await suspends unless it awaits a call of a project coroutine that never
        suspends: resolved through the imports, or by its name (``self.x.flush()``, a
        receiver of unknown type) when every reached coroutine of that name never suspends and
        no function of that name is sync (a sync function may return any awaitable).  Least
        fixpoint: a cycle of coroutines that only await each other never suspends."""
        coros: dict[Key, tuple[str, ...]] = {}
        by_name: dict[str, list[Key]] = {}
        sync: set[str] = set()
        for path, summary in self._summaries.items():
            if summary is None:
                continue
            sync.update(summary.sync)
            for qualname, (outer, cls, facts) in summary.awaits.items():
                if (path, outer) in self.functions:
                    coros[(path, qualname)] = facts
                    by_name.setdefault(qualname.rpartition(".")[2], []).append((path, qualname))
        waits: dict[Key, list[Any]] = {}  # what each coroutine that may be quiet waits for: keys, names
        for key, facts in coros.items():
            needs: list[Any] = []
            for fact in facts:
                if fact.startswith("q:") and self._unresolved(key[0], fact):
                    # a project object's method (``service_logger.emit()``, the object a module
                    # holds): known by its name, as a receiver of unknown type
                    fact = "n:" + fact.rpartition(".")[2]
                if fact.startswith("n:"):
                    name = fact[2:]
                    if name in sync or name not in by_name or name in SUSPENDING_METHOD_NAMES:
                        break
                    needs.append(name)
                    continue
                targets = self._targets_of(key[0], fact) if fact[1:2] == ":" else ()
                if len(targets) != 1 or targets[0][0] != "fn" or (targets[0][1], targets[0][2]) not in coros:
                    break  # "*", a library's coroutine, a class, a sync function: may suspend
                needs.append((targets[0][1], targets[0][2]))
            else:
                waits[key] = needs
        quiet = set(waits)
        changed = True
        while changed:
            changed = False
            for key in list(quiet):
                for need in waits[key]:
                    if (type(need) is tuple and need not in quiet) or (
                            type(need) is str and not all(k in quiet for k in by_name[need])):
                        quiet.discard(key)
                        changed = True
                        break
        self.quiet = quiet
        self.quiet_names = {name for name, keys in by_name.items()
                            if name not in sync and name not in SUSPENDING_METHOD_NAMES and all(k in quiet for k in keys)}

    def compute(self) -> Reach:
        index = self.index
        unsaved = [p for p in index._unsaved if p not in index._files]  # buffers not saved yet
        # in a fixed order (not the order files were named in): every front end then finds the
        # same trail, hence the same "reached from" in its messages
        for path in sorted([*index._files, *unsaved]):
            if self._unserved(path):
                continue
            entries = self._entries(path)
            for qualname, label in entries:
                self._queue("fn", path, qualname)
                self._labels.setdefault(("fn", path, qualname), label)
            if entries:
                self._queue("module", path, "")
                self._summary(path)  # while the tree is here
            index.trim()
        for entry in (self.settings.entry_points if self.settings is not None else ()):
            before = len(self._todo)
            self._configured(entry)
            for item in list(self._todo)[before:]:
                self._labels.setdefault(item, f"entry point `{entry}`")
        self.entries = len(self._todo)
        while self._todo:
            self._drain()
            self._subclasses()
        self._settle_quiet()
        # what the walk needed goes: only the answer (and how it was reached) stays
        self._current = None
        self._summaries.clear()
        self._targets.clear()
        self._class_refs.clear()
        self._subclass_files = None
        return self

    def learn(self, module: _Module) -> None:
        """Keep what the walk needs of ``module`` (just parsed) while its tree is alive, in its
        record (``ProjectIndex.keep_record``): a walk decided after the last file then parses
        no module the check parsed, for its own check or for another's chains."""
        path = module.path
        record = self.index.record(path)
        if self._unserved(path) or (record is not None and "entries" in record and "summary" in record):
            return
        self._entries(path)
        self.index.keep_record(path, "summary", _summarize(self, module))

    def _entries(self, path: str) -> list[tuple[str, str]]:
        """The entry points of the module ``path`` (outermost functions) with their labels,
        from an earlier run's record of the same text, else from its tree."""
        index = self.index
        record = index.record(path)
        if record is not None and "entries" in record:
            return record["entries"]
        source = index._source(path)
        entries: list[tuple[str, str]] = []
        if source is not None and _ENTRY_TEXT.search(source):
            module = index._load(path)
            if module is None:
                return entries
            model = index.model(module)
            for fn in module.info.all_functions:
                if is_entry(module, model, fn):
                    top = outermost(fn)
                    if all(q != top.qualname for q, _ in entries):
                        entries.append((top.qualname, _label(model, top)))
        else:
            index._shed(path)
        index.keep_record(path, "entries", entries)
        return entries

    def _configured(self, entry: str) -> None:
        """``pkg.module:function`` or ``pkg.module:Class.method`` (``:Class``: all its methods)."""
        module_name, _, qualname = entry.partition(":")  # both non-empty (config._ENTRY_POINT)
        for path in self.index._files:
            if self.index.module_name(path) == module_name:
                self._queue("fn", path, qualname)
                if "." not in qualname:  # a function, or a class: all its methods
                    self._every_method.add((path, qualname))
                    self._queue("class", path, qualname)
                self._queue("module", path, "")
                return

    def _unserved(self, path: str) -> bool:
        return self.settings is not None and unserved(self.index._files.get(path, path), self.settings)

    def _queue(self, kind: str, path: str, name: str) -> None:
        if kind == "fn":
            if (path, name) in self.functions:
                return
            self.functions.add((path, name))
        elif kind == "class":
            if (path, name) in self.classes:
                return
            self.classes.add((path, name))
        else:
            if path in self.modules:
                return
            self.modules.add(path)
        self._via[(kind, path, name)] = self._current
        self._todo.append((kind, path, name))

    def _drain(self) -> None:
        while self._todo:
            kind, path, name = self._current = self._todo.popleft()
            if self._unserved(path):
                continue  # a test's helpers are no server's
            summary = self._summary(path)
            if summary is None:
                continue
            if kind == "fn":
                refs = summary.functions.get(name)
                if refs is not None:
                    self._queue("module", path, "")
                    self._follow(path, refs)
                    self._parameters(path, name, summary.parameters.get(name, ()))
            elif kind == "class":
                found = summary.classes.get(name)
                if found is not None:
                    self._queue("module", path, "")
                    methods, refs = found
                    every = (path, name) in self._every_method or self._library_based(path, summary, name)
                    for method in methods:
                        item = ("fn", path, f"{name}.{method}")
                        if every or method in self._attributes or (method[:1] == "_" and method[-1:] == "_"):
                            self._queue(*item)
                        else:  # until reached code uses its name (``x.method``)
                            self._waiting.setdefault(method, []).append(item)
                    self._follow(path, refs)
            else:
                self._follow(path, summary.top)
                for registered in summary.registered:
                    self._queue("fn", path, registered)

    def _parameters(self, path: str, name: str, parameters: tuple[tuple[str, ...], ...]) -> None:
        """Follow the annotations of the parameters of the app factory (or server bootstrap)
        ``name``: it is handed objects its caller built (a worker process, a CLI: no server),
        so a project class there is not live (as it is for a function that handles instances
        of it): only the methods the factory's code uses on the parameter are reached, its own
        or its project bases' (an attribute that is no method of the project is a value)."""
        for ref, *attributes in parameters:
            for target in self._targets_of(path, ref):
                kind, cls_path, cls = target
                if kind != "class":
                    self._queue(*target)
                    continue
                for attribute in attributes:
                    method = self._method_of(cls_path, cls, attribute, 0)
                    if method is not None:
                        self._queue(*method)

    def _method_of(self, path: str, cls: str, name: str, depth: int) -> tuple[str, str, str] | None:
        """The method ``name`` of the project class ``cls`` of ``path``, its own or its bases'
        (from the summaries: no module is parsed for it), or None."""
        summary = self._summary(path)
        found = summary.classes.get(cls) if summary is not None else None
        if found is None or depth > 8:
            return None
        if name in found[0]:
            return ("fn", path, f"{cls}.{name}")
        for ref in summary.bases.get(cls, ()):  # type: ignore[union-attr]
            for kind, base_path, base in self._targets_of(path, ref):
                if kind == "class":
                    method = self._method_of(base_path, base, name, depth + 1)
                    if method is not None:
                        return method
        return None

    def _follow(self, path: str, refs: tuple[str, ...]) -> None:
        for ref in refs:
            if ref[0] == "a":  # an attribute name: the methods of live classes called so run
                name = ref[2:]
                if name not in self._attributes:
                    self._attributes.add(name)
                    for item in self._waiting.pop(name, ()):
                        self._queue(*item)
                continue
            for target in self._targets_of(path, ref):
                self._queue(*target)

    def _library_based(self, path: str, summary: Summary, cls: str) -> bool:
        """The class ``cls`` derives from a class no project module defines (but ``object``,
        ``ABC``, ``Protocol``, ``Generic``): the library may call any of its methods by name
        (a logging handler's ``emit``, a pydantic validator, an endpoint class's ``get``)."""
        for ref in summary.bases.get(cls, ()):
            if ref.rpartition(".")[2] in NEUTRAL_BASES:
                continue
            targets = self._targets_of(path, ref)
            if not any(kind == "class" for kind, _, _ in targets):
                return True
            for kind, base_path, base in targets:
                found = self._summary(base_path) if kind == "class" else None
                if found is not None and (base_path, base) != (path, cls) and self._library_based(base_path, found, base):
                    return True
        return False

    def _targets_of(self, path: str, ref: str) -> tuple[tuple[str, str, str], ...]:
        """``_resolve``, once per module and reference."""
        key = (path, ref)
        targets = self._targets.get(key)
        if targets is None:
            targets = self._targets[key] = self._resolve(path, ref)
        return targets

    def _resolve(self, path: str, ref: str) -> tuple[tuple[str, str, str], ...]:
        """What a reference of a summary (``f:name``, ``c:name``: of the module itself;
        ``q:dotted.name``: through its imports) is in the project."""
        kind, name = ref[0], ref[2:]
        if kind == "a":
            return ()  # an attribute name (``a:``): no definition, see ``_follow``
        if kind == "f":
            return (("fn", path, name),)
        if kind == "c":
            return (("class", path, name),)
        if name.partition(".")[0] not in self.index._stems and not name.startswith("."):
            return ()  # no project module has that name
        found = self.index.function(path, name)
        if found is not None:
            return (("fn", found.path, found.qualname),)
        cls = self._class(path, name, 0)
        if cls is not None:
            return (("class", *cls),)
        located = self.index._locate(path, name)
        if located is not None:
            return (("module", located[0], ""),)
        return ()

    def _summary(self, path: str) -> Summary | None:
        """What the reach needs of the module ``path`` (parsed once for all its functions)."""
        if path in self._summaries:
            return self._summaries[path]
        index = self.index
        record = index.record(path)
        if record is not None and "summary" in record:
            summary = self._summaries[path] = record["summary"]
            return summary
        module = index._load(path)
        record = index.record(path)  # the parse may have learnt it (``ProjectIndex.defer_reach``)
        if record is not None and "summary" in record:
            summary = self._summaries[path] = record["summary"]
            return summary
        summary = None
        if module is not None:
            with index.holding(path):
                summary = _summarize(self, module)
            index.trim()
        self._summaries[path] = summary
        index.keep_record(path, "summary", summary)
        return summary

    def fingerprint(self) -> str:
        """A hash of the answer: what is reached, and the entry each trail ends at (a result
        cache keeps a file's findings while this stays the same)."""
        if self._fingerprint is None:
            self._fingerprint = self._digest()
        return self._fingerprint

    def to_json(self) -> dict[str, Any]:
        """The answer (what ``reaches``, ``entry_of`` and ``fingerprint`` need), as JSON data:
        a result cache keeps it for a run in which no module changed what the reach reads."""
        paths: dict[str, int] = {}

        def item(kind: str, path: str, name: str) -> list[Any]:
            return [kind, paths.setdefault(path, len(paths)), name]

        data = {
            "entries": self.entries,
            "functions": [[paths.setdefault(p, len(paths)), q] for p, q in sorted(self.functions)],
            "classes": [[paths.setdefault(p, len(paths)), q] for p, q in sorted(self.classes)],
            "modules": [paths.setdefault(p, len(paths)) for p in sorted(self.modules)],
            "via": [[*item(*k), *(item(*v) if v is not None else [])] for k, v in sorted(self._via.items())],
            "labels": [[*item(*k), label] for k, label in sorted(self._labels.items())],
            "quiet": [[paths.setdefault(p, len(paths)), q] for p, q in sorted(self.quiet)],
            "quiet_names": sorted(self.quiet_names),
            "fingerprint": self.fingerprint(),
        }
        data["paths"] = list(paths)
        return data

    @classmethod
    def from_json(cls, index: ProjectIndex, settings: Settings | None, data: Any) -> Reach:
        """The answer ``to_json`` wrote; a ValueError (or TypeError, IndexError) for anything of
        another shape."""
        reach = cls(index, settings)
        paths = data["paths"]
        if type(paths) is not list or not all(type(p) is str for p in paths):
            raise ValueError("not paths")

        def text(value: Any) -> str:
            if type(value) is not str:
                raise ValueError("not a name")
            return sys.intern(value)

        def item(values: list[Any]) -> tuple[str, str, str]:
            kind, path, name = values
            if kind not in ("fn", "class", "module") or type(path) is not int:
                raise ValueError("not an item")
            return kind, paths[path], text(name)

        reach.entries = data["entries"]
        if type(reach.entries) is not int:
            raise ValueError("not a count")
        reach.functions = {(paths[p], text(q)) for p, q in data["functions"]}
        reach.classes = {(paths[p], text(q)) for p, q in data["classes"]}
        reach.modules = {paths[p] for p in data["modules"]}
        for values in data["via"]:
            reach._via[item(values[:3])] = item(values[3:]) if len(values) == 6 else None
        for values in data["labels"]:
            reach._labels[item(values[:3])] = text(values[3])
        reach.quiet = {(paths[p], text(q)) for p, q in data["quiet"]}
        reach.quiet_names = {text(q) for q in data["quiet_names"]}
        reach._fingerprint = text(data["fingerprint"])
        return reach

    def live_class_names(self) -> set[bytes]:
        """The names of the live classes, as the subclass search looks for them in a text."""
        return {name.encode() for _, name in self.classes}

    def same_facts(self, path: str, old: Any, live: set[bytes]) -> bool:
        """What the walk reads of the module ``path`` (changed since the run that wrote ``old``,
        its record then) is what it read then: its top-level bindings, entry points and
        references; and it is no candidate of the subclass search (for the ``live`` class
        names) it was not then."""
        index = self.index
        if type(old) is not dict:
            return False

        def then(field: str) -> Any:  # what the record said (a JSON text, see record_to_json)
            return json.loads(old[field]) if type(old[field]) is str else object()

        module = index._load(path)
        if "exports" in old:
            exports = index._exports_of(path)
            if (exports.to_json() if exports is not None else None) != then("exports"):
                return False
        if self._unserved(path):
            return True  # the walk never enters it
        if "entries" not in old or [list(e) for e in self._entries(path)] != then("entries"):
            return False
        if "summary" in old:
            summary = self._summary(path)
            return (summary.to_json() if summary is not None else None) == then("summary")
        # not read then: not reached, and no candidate of the subclass search
        if module is None or self._entries(path):
            return module is None
        source = index._source(path) or b""
        return not any(set(_IDENT.findall(m.group(1))) & live for m in _CLASS_LINE.finditer(source))

    def _digest(self) -> str:
        digest = hashlib.blake2b(digest_size=16)
        for item in sorted(self.functions):
            digest.update(("f\0%s\0%s\n" % item).encode())
        for item in sorted(self.classes):
            digest.update(("c\0%s\0%s\n" % item).encode())
        for item, via in sorted(self._via.items(), key=lambda kv: kv[0]):
            digest.update(("v\0%s\0%s\0%s\0" % item + repr(via) + "\n").encode())
        for item, label in sorted(self._labels.items()):
            digest.update(("l\0%s\0%s\0%s\0" % item + label + "\n").encode())
        for item in sorted(self.quiet):
            digest.update(("q\0%s\0%s\n" % item).encode())
        for name in sorted(self.quiet_names):
            digest.update(("n\0%s\n" % name).encode())
        return digest.hexdigest()

    def _runs_elsewhere(self, module: _Module, call: ast.Call, fn: FunctionInfo | None) -> bool:
        """The functions ``call`` is handed run off this loop: a thread, a process, a loop of
        their own."""
        func = call.func
        if isinstance(func, ast.Attribute) and (
                func.attr in OFFLOAD_METHODS
                # a multiprocessing context's process (``get_context("spawn").Process(target=f)``)
                or (func.attr in ("Process", "Thread") and any(k.arg == "target" for k in call.keywords))):
            return True
        if runner_argument(call, module.resolver, fn) is not None:
            return True
        return module.resolver.qualname(func, fn) in OFFLOADERS

    def refs(self, module: _Module, nodes: list[ast.AST], fn: FunctionInfo | None,
             functions: dict[int, FunctionInfo], parameters: bool = True) -> tuple[str, ...]:
        """The names the code of ``nodes`` (in ``fn``, or at the top level) refers to, as
        references (see ``_resolve``).  The body of a nested def that is only handed to a
        thread or a process (``Thread(target=run_with_cleanup)``) runs off the loop: what it
        names is not followed, as for a module-level function handed over.  Without
        ``parameters``, the annotations of the parameters of ``nodes`` (defs) are left out."""
        resolver = module.resolver
        info = module.info
        found: dict[str, None] = {}
        outer = {id(n) for n in nodes}
        loaded: set[str] = set()  # names read anywhere but as what runs elsewhere
        handed: set[str] = set()  # names handed to a thread, a process, a loop of its own
        nested: list[tuple[ast.AST, FunctionInfo | None]] = []  # nested defs, their bodies to come
        stack: list[tuple[ast.AST, FunctionInfo | None]] = [(n, fn) for n in nodes]
        while True:
            while stack:
                item, scope = stack.pop()
                tp = type(item)
                if tp is ast.Name or tp is ast.Attribute:
                    if isinstance(item.ctx, ast.Load):  # type: ignore[attr-defined]
                        if tp is ast.Name:
                            loaded.add(item.id)  # type: ignore[attr-defined]
                        else:
                            found["a:" + item.attr] = None  # type: ignore[attr-defined]
                        ref = reference(resolver, info, item, scope)  # type: ignore[arg-type]
                        if ref is not None:
                            found[ref] = None
                    if tp is ast.Attribute:
                        stack.append((item.value, scope))  # type: ignore[attr-defined]
                    continue
                if tp is ast.Call:
                    call: ast.Call = item  # type: ignore[assignment]
                    stack.append((call.func, scope))
                    if (type(call.func) is ast.Name and call.func.id in ("getattr", "hasattr")
                            and len(call.args) > 1 and type(call.args[1]) is ast.Constant
                            and isinstance(call.args[1].value, str)):
                        found["a:" + call.args[1].value] = None  # getattr(x, "name")
                    if (call.args or call.keywords) and self._runs_elsewhere(module, call, scope):
                        handed.update(a.id for a in (*call.args, *(k.value for k in call.keywords))
                                      if type(a) is ast.Name)
                        continue
                    stack.extend((a, scope) for a in call.args)
                    stack.extend((k.value, scope) for k in call.keywords)
                    continue
                if tp is ast.FunctionDef or tp is ast.AsyncFunctionDef or tp is ast.Lambda:
                    inner = functions.get(id(item))
                    args: ast.arguments = item.args  # type: ignore[attr-defined]
                    stack.extend((d, scope) for d in getattr(item, "decorator_list", ()))
                    stack.extend((d, scope) for d in args.defaults)
                    stack.extend((d, scope) for d in args.kw_defaults if d is not None)
                    if parameters or id(item) not in outer:
                        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                            if a is not None and a.annotation is not None:
                                stack.append((a.annotation, scope))
                    returns = getattr(item, "returns", None)
                    if returns is not None:
                        stack.append((returns, scope))
                    body = item.body  # type: ignore[attr-defined]
                    if tp is ast.Lambda:
                        stack.append((body, scope))
                    elif id(item) in outer:
                        stack.extend((s, inner or scope) for s in body)
                    else:
                        nested.append((item, inner or scope))
                    continue
                stack.extend((child, scope) for child in ast.iter_child_nodes(item))
            # the nested defs named otherwise than as what runs elsewhere (or not at all) run here
            waiting = []
            for item, scope in nested:
                name = item.name  # type: ignore[attr-defined]
                if name in handed and name not in loaded:
                    waiting.append((item, scope))
                else:
                    stack.extend((s, scope) for s in item.body)  # type: ignore[attr-defined]
            nested = waiting
            if not stack:
                break
        return tuple(map(sys.intern, found))

    def _class(self, from_path: str, q: str, depth: int) -> Key | None:
        """The project class the dotted name ``q`` of ``from_path`` is, through re-exports."""
        key = (from_path, q)
        if key in self._class_refs:
            return self._class_refs[key]
        self._class_refs[key] = None
        located = self.index._locate(from_path, q)
        found: Key | None = None
        if located is not None and len(located[1]) == 1 and depth < 12:
            path, (name,) = located
            exports = self.index._exports_of(path)
            binding = exports.names.get(name) if exports is not None else None
            if type(binding) is tuple and binding[0] == "class":
                found = (path, name)
            elif type(binding) is str:
                found = self._class(path, binding, depth + 1)
            elif binding is None and exports is not None:
                # star imports, as ``ProjectIndex._attribute`` follows them
                for base in exports.stars:
                    if self.index._is_module(path, base):
                        found = self._class(path, join_name(base, [name]), depth + 1)
                        if found is not None:
                            break
        self._class_refs[key] = found
        return found

    def _subclasses(self) -> None:
        """Queue the project classes derived from a live class (found by the names of their
        bases in the text, then resolved)."""
        index = self.index
        if self._subclass_files is None:
            files: dict[bytes, list[str]] = {}
            for path in index._files:
                source = index._source(path)
                if source is not None and b"class" in source:
                    aliases: dict[bytes, list[bytes]] | None = None
                    for m in _CLASS_LINE.finditer(source):
                        for ident in set(_IDENT.findall(m.group(1))):
                            files.setdefault(ident, []).append(path)
                            if aliases is None:  # ``import Base as _Base``: the base is Base
                                aliases = {}
                                for a in _ALIAS.finditer(source):
                                    aliases.setdefault(a.group(2), []).append(a.group(1))
                            for original in aliases.get(ident, ()):
                                files.setdefault(original, []).append(path)
                index._shed(path)
            self._subclass_files = files
        for path, name in sorted(self.classes - self._searched):
            self._searched.add((path, name))
            for candidate in sorted(set(self._subclass_files.get(name.encode(), ()))):
                if self._unserved(candidate):
                    continue
                summary = self._summary(candidate)
                if summary is None:
                    continue
                for cls, bases in summary.bases.items():
                    if (candidate, cls) in self.classes:
                        continue
                    for ref in bases:
                        if ("class", path, name) in self._targets_of(candidate, ref):
                            self._current = ("class", path, name)  # reached as its base was
                            self._queue("class", candidate, cls)
                            break


class Summary:
    """What the reach needs of a module, without its tree: the references of each function
    (nested ones included in their outermost), of each class (body and bases) and of the
    top-level code, the names of the functions a decorator registers, each class's bases.
    It depends on the module's text alone: a result cache keeps it by the text's hash
    (``to_json``/``from_json``)."""

    __slots__ = ("awaits", "bases", "classes", "functions", "parameters", "registered", "sync", "top")

    def __init__(self) -> None:
        self.functions: dict[str, tuple[str, ...]] = {}
        self.classes: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.top: tuple[str, ...] = ()
        self.registered: tuple[str, ...] = ()
        self.bases: dict[str, tuple[str, ...]] = {}
        #: each coroutine (nested ones too): its outermost function's qualname, that one's
        #: class (or ""), and what it awaits (``_await_facts``)
        self.awaits: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        #: the names of the module's sync functions and methods
        self.sync: tuple[str, ...] = ()
        #: for each app factory, the references of its parameters' annotations, each with the
        #: attributes its code uses on that parameter (apart from ``functions``: an app
        #: factory's parameters are its caller's objects)
        self.parameters: dict[str, tuple[tuple[str, ...], ...]] = {}

    def to_json(self) -> dict[str, Any]:
        return {"f": {k: list(v) for k, v in self.functions.items()},
                "c": {k: [list(methods), list(refs)] for k, (methods, refs) in self.classes.items()},
                "t": list(self.top), "r": list(self.registered), "b": {k: list(v) for k, v in self.bases.items()},
                "a": {k: [outer, cls, *facts] for k, (outer, cls, facts) in self.awaits.items()}, "s": list(self.sync),
                "p": {k: [list(r) for r in v] for k, v in self.parameters.items()}}

    @classmethod
    def from_json(cls, data: Any) -> Summary:
        """The summary ``to_json`` wrote; a ValueError for anything of another shape."""
        if type(data) is not dict:
            raise ValueError("not a summary")
        summary = cls()
        summary.functions = {_name(k): _strings(v) for k, v in _dict(data.get("f")).items()}
        classes = {}
        for k, v in _dict(data.get("c")).items():
            if type(v) is not list or len(v) != 2:
                raise ValueError("not a class")
            classes[_name(k)] = (_strings(v[0]), _strings(v[1]))
        summary.classes = classes
        summary.top = _strings(data.get("t"))
        summary.registered = _strings(data.get("r"))
        summary.bases = {_name(k): _strings(v) for k, v in _dict(data.get("b")).items()}
        awaits = {}
        for k, v in _dict(data.get("a", {})).items():
            values = _strings(v)
            if len(values) < 2:
                raise ValueError("not a coroutine")
            awaits[_name(k)] = (values[0], values[1], values[2:])
        summary.awaits = awaits
        summary.sync = _strings(data.get("s", []))
        parameters = {}
        for k, v in _dict(data.get("p", {})).items():
            if type(v) is not list:
                raise ValueError("not parameters")
            parameters[_name(k)] = tuple(_strings(r) for r in v)
        summary.parameters = parameters
        return summary


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise ValueError("not a mapping")
    return value


def _name(value: Any) -> str:
    if type(value) is not str:
        raise ValueError("not a name")
    return sys.intern(value)


def _strings(value: Any) -> tuple[str, ...]:
    if type(value) is not list:
        raise ValueError("not a list of names")
    return tuple(_name(v) for v in value)


def _summarize(reach: Reach, module: _Module) -> Summary:
    info = module.info
    functions = {id(f.node): f for f in info.all_functions}
    summary = Summary()
    factories = {q for q, label in reach._entries(module.path) if label.startswith("app factory")}
    for name, fn in info.functions.items():
        if name not in factories:
            summary.functions[name] = reach.refs(module, [fn.node], None, functions)
            continue
        # an app factory's parameters: what its code uses on each, apart (see ``_parameters``)
        summary.functions[name] = reach.refs(module, [fn.node], None, functions, parameters=False)
        args = fn.node.args
        annotated = [a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
                     if a is not None and a.annotation is not None]
        if annotated:
            used: dict[str, dict[str, None]] = {a.arg: {} for a in annotated}
            for node in ast.walk(fn.node):
                if type(node) is ast.Attribute and type(node.value) is ast.Name and node.value.id in used:
                    used[node.value.id][node.attr] = None
            summary.parameters[name] = tuple(
                (ref, *used[a.arg]) for a in annotated for ref in reach.refs(module, [a.annotation], None, functions))
    for name, cls in info.classes.items():
        for method, fn in cls.methods.items():
            summary.functions[f"{name}.{method}"] = reach.refs(module, [fn.node], None, functions)
        body = [s for s in cls.node.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        bases = reach.refs(module, list(cls.node.bases), None, functions)
        summary.classes[name] = (tuple(cls.methods), reach.refs(module, body, None, functions) + bases)
        summary.bases[name] = tuple(ref for ref in bases if ref[0] != "a")  # what the bases are
    top: list[ast.AST] = []
    registered = []
    for stmt in info.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top.extend(stmt.decorator_list)
            if not isinstance(stmt, ast.ClassDef) and any(_registers(d) for d in stmt.decorator_list):
                registered.append(stmt.name)
        else:
            top.append(stmt)
    summary.top = reach.refs(module, top, None, functions)
    summary.registered = tuple(registered)
    sync: dict[str, None] = {}
    for fn in info.all_functions:
        if fn.is_async:
            outer, cls = place(fn)
            # two coroutines of one name (a nested one and a module-level one): may suspend
            facts = ("*",) if fn.qualname in summary.awaits else _await_facts(module, fn)
            summary.awaits[fn.qualname] = (outer, cls or "", facts)
        else:
            sync[fn.name] = None
    summary.sync = tuple(sync)
    return summary


#: Decorators that leave a coroutine's awaits as they are.
_PLAIN_DECORATORS = frozenset(["staticmethod", "classmethod", "abstractmethod", "override", "overload", "final"])


def _await_facts(module: _Module, fn: FunctionInfo) -> tuple[str, ...]:
    """What the coroutine ``fn`` may suspend on, for ``Reach._settle_quiet``: a reference
    (``f:``/``q:``, see ``_resolve``) or ``n:name`` (a method of a receiver of unknown type)
    for each call it awaits; ``("*",)`` when it may suspend on something else (an
    ``async for``/``async with``, an awaited value, a decorator that wraps it); ``()`` when it
    awaits nothing."""
    for decorator in fn.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""
        if name not in _PLAIN_DECORATORS:
            return ("*",)
    if not fn.has_await:
        return ()
    facts: dict[str, None] = {}
    stack: list[ast.AST] = list(fn.node.body)
    while stack:
        node = stack.pop()
        tp = type(node)
        if tp is ast.FunctionDef or tp is ast.AsyncFunctionDef or tp is ast.Lambda or tp is ast.ClassDef:
            continue
        if tp is ast.AsyncFor or tp is ast.AsyncWith:
            return ("*",)
        if tp is ast.Await:
            value = node.value  # type: ignore[attr-defined]
            func = value.func if type(value) is ast.Call else None
            ref = reference(module.resolver, module.info, func, fn) if isinstance(func, (ast.Name, ast.Attribute)) else None
            if ref is None and isinstance(func, ast.Attribute):
                ref = "n:" + func.attr
            if ref is None or ref.startswith("c:"):
                return ("*",)
            facts[sys.intern(ref)] = None
        stack.extend(ast.iter_child_nodes(node))
    return tuple(facts)


def reference(resolver, info, expr: ast.Name | ast.Attribute, fn: FunctionInfo | None) -> str | None:  # type: ignore[no-untyped-def]
    """A reference (see ``Reach._resolve``) for the name ``expr``, or None."""
    if isinstance(expr, ast.Name):
        name = expr.id
        if resolver.is_bound_locally(name, fn):
            return None
        if name in info.imports:
            return "q:" + info.imports[name]
        if name in info.functions:
            return "f:" + name
        if name in info.classes:
            return "c:" + name
        return None
    q = resolver.qualname(expr, fn)
    return None if q is None else "q:" + q


def place(fn: FunctionInfo) -> tuple[str, str | None]:
    """Where ``fn`` is, as the reach knows it: its outermost function's qualname, and the
    class that is a method of (or None)."""
    top = outermost(fn)
    return top.qualname, top.cls.name if top.cls is not None else None


def outermost(fn: FunctionInfo) -> FunctionInfo:
    """The module-level function, or method of a module-level class, ``fn`` is (in)."""
    while True:
        while fn.parent is not None:
            fn = fn.parent
        cls: ClassInfo | None = fn.cls
        if cls is not None and isinstance(cls.parent, FunctionInfo):
            fn = cls.parent
            continue
        return fn


def _label(model: FastAPIModel, fn: FunctionInfo) -> str:
    """What a message calls an entry point: its route (``GET /items/{id}``), else its role
    and name (``middleware `Timing.dispatch```, ``app factory `create_app```)."""
    route = model.route(fn)
    if route is not None:
        return route
    if model.role(fn) is None:
        return f"app factory `{fn.qualname}`"
    return model.describe(fn).removeprefix("async ")


def is_entry(module: _Module, model: FastAPIModel, fn: FunctionInfo) -> bool:
    """``fn`` (of ``module``, a served file) is an entry point: a FastAPI role but startup and
    shutdown (their code runs once; the lifespan's objects live on), an app factory or a
    server bootstrap; not a CLI command's or a job's."""
    role = model.role(fn)
    if role is None:
        if not _serves(module, fn):
            return False
    elif role in ("startup", "shutdown"):
        return False
    return not runs_elsewhere(fn, module.info, module.resolver)


def _serves(module: _Module, fn: FunctionInfo) -> bool:
    """``fn`` builds an app (``FastAPI(...)``, ``Starlette(routes=[...])``: an app factory) or
    starts an ASGI server (``uvicorn.run(app)``, ``uvicorn.Server(config)``): the routes it
    adds are served, and the objects it builds (a session manager, the language servers or
    the repository it hands the app) live as long as the server, like a lifespan's."""
    resolver = module.resolver
    for call in fn.calls:
        q = resolver.qualname(call.func, fn)
        if q in SERVER_RUNNERS or q in APP_CLASSES:
            return True
    return False


def _registers(decorator: ast.expr) -> bool:
    """``decorator`` is a method of an object or module (``@sio.on("x")``,
    ``@registry.register``, ``@cl.on_message``): it may register the function for a later
    call.  Plain functions (``@retry``) and the well-known wrappers (``@functools.wraps``,
    ``@contextlib.asynccontextmanager``, ``@x.setter``) only wrap it."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(func, ast.Attribute) and func.attr not in WRAPPERS
