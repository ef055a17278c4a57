"""Which calls block, directly or through the sync helpers they call.

``BlockingIndex.classify(call, fn)`` answers for one call; ``chain(helper)`` answers for a sync
``def``: the path of helper calls that ends in a blocking call, any depth, cycles handled (a
fixpoint over the helpers reachable from the one asked about).

Without a project (flake8, the fixer) helpers are the ``def``s of the same module.  With a
:class:`~flake8_fastapi_perf.analysis.project.ProjectIndex` (``fastapi-perf check``), a call the
tables do not know whose name resolves to a sync ``def`` of another module of the project is a
helper too; that helper's calls are classified by the ``BlockingIndex`` of its own module (same
logic, same settings), so chains and their fixpoint cross modules, cycles included.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..data import blocking as tables
from .names import Callee, Resolver
from .scope import FunctionInfo

if TYPE_CHECKING:  # pragma: no cover
    from .project import ProjectIndex


@dataclass(frozen=True)
class Blocking:
    """A blocking call: its rule code and the name shown to users (``requests.get()``)."""

    code: str
    name: str
    call: ast.Call


@dataclass(frozen=True)
class HelperRef:
    """A function of another module of the project, known by file and name (no tree): what
    :meth:`BlockingIndex.classify` gives for a helper of another module, and what the chains
    the project remembers hold."""

    path: str  # normalised file path
    module: str  # dotted module name
    qualname: str  # ``fetch`` or ``Client.fetch``
    is_async: bool = False
    is_generator: bool = False

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]


Helper = FunctionInfo | HelperRef


@dataclass(frozen=True)
class Chain:
    """``load_twice() -> load_remote() -> requests.get()``: helpers, then the blocking call."""

    helpers: tuple[Helper, ...]
    blocking: Blocking
    #: the module of each helper (project runs only; empty without a project)
    modules: tuple[str, ...] = ()

    def render(self, here: str | None = None) -> str:
        """The chain; helpers of modules other than ``here`` are qualified with their module."""
        return " -> ".join([*(f"{self.spelling(i, here)}()" for i in range(len(self.helpers))), self.blocking.name])

    def spelling(self, i: int, here: str | None = None) -> str:
        name = self.helpers[i].qualname
        module = self.modules[i] if i < len(self.modules) else ""
        return f"{module}.{name}" if module and module != here else name

    def crosses(self, here: str | None) -> bool:
        """The first helper lives in another module than ``here``."""
        return bool(self.modules) and bool(self.modules[0]) and self.modules[0] != here


class BlockingIndex:
    def __init__(self, resolver: Resolver, blocking: dict[str, str], allow: frozenset[str],
                 project: ProjectIndex | None = None, path: str | None = None,
                 module_name: str | None = None, key: Any = None) -> None:
        self.resolver = resolver
        self.blocking = blocking
        self.allow = allow
        #: project runs only: the index, this module's normalised path and dotted name, and the
        #: settings key the project files this index under
        self.project = project
        self.path = path
        self.module_name = module_name
        self.key = key
        self._chains: dict[int, Chain | None] = {}

    def _allowed(self, name: str) -> bool:
        if not self.allow:
            return False
        if name in self.allow:
            return True
        parts = name.split(".")
        return any(".".join(parts[:i]) in self.allow for i in range(1, len(parts)))

    def lookup(self, callee: Callee) -> str | None:
        """The rule code for calling ``callee``, if it blocks."""
        if callee.kind == "name":
            name = callee.name
            code = self.blocking.get(name)
        elif callee.kind == "method" and isinstance(callee.type, str):
            name = f"{callee.type}.{callee.name}"
            code = self.blocking.get(name)
            if code is None and name not in tables.NOT_BLOCKING and not callee.name.startswith("_"):
                code = self.blocking.get(f"{callee.type}.*")
        else:
            return None
        if code is None or self._allowed(name):
            return None
        return code

    def classify(self, call: ast.Call, fn: FunctionInfo) -> tuple[Blocking | None, Helper | None]:
        """(the blocking call, or None; the sync helper it calls, or None).  The helper is a
        ``FunctionInfo`` of this module, or (project runs) a ``HelperRef`` of another one."""
        if id(call) in fn.awaited:
            return None, None
        callee = self.resolver.callee(call, fn)
        if callee is None:
            return None, None
        if callee.kind == "helper":
            helper = callee.helper
            if helper is not None and not helper.is_async and not helper.is_generator:
                return None, helper
            return None, None
        code = self.lookup(callee)
        if code is None:
            if callee.kind == "name" and self.project is not None and not self._allowed(callee.name):
                ref = self.project.function(self.path, callee.name)
                if ref is not None and not ref.is_async and not ref.is_generator:
                    # the tables and the allow list also know it by the name it is defined as
                    defined = f"{ref.module}.{ref.qualname}"
                    if self._allowed(defined):
                        return None, None
                    code = self.blocking.get(defined)
                    if code is not None:
                        return Blocking(code, defined + "()", call), None
                    return None, ref
            return None, None
        if callee.kind == "name" and callee.name in tables.IN_MEMORY_OK and self._in_memory(call, fn):
            return None, None
        return Blocking(code, callee.qualified + "()", call), None

    def _in_memory(self, call: ast.Call, fn: FunctionInfo) -> bool:
        """The call's file argument is an ``io.BytesIO``/``io.StringIO`` buffer."""
        source = call.args[0] if call.args else next(
            (kw.value for kw in call.keywords if kw.arg in ("fp", "file", "fileobj")), None
        )
        for kw in call.keywords:
            if kw.arg == "fileobj":
                source = kw.value
        return source is not None and self.resolver.type_of(source, fn) == "io.BytesIO"

    def chain(self, helper: Helper) -> Chain | None:
        """The first path from the sync ``helper`` to a blocking call, or None."""
        project = self.project
        if project is None or isinstance(helper, HelperRef) or id(helper) in self._chains:
            return self._chain(helper)
        project.depth += 1
        try:
            return self._chain(helper)
        finally:
            project.depth -= 1
            if not project.depth and project.session_active:
                project.trim()  # the chains are remembered: the trees walked can go

    def _chain(self, helper: Helper) -> Chain | None:
        if isinstance(helper, HelperRef):
            return self.project.chain_of(helper, self) if self.project is not None else None
        key = id(helper)
        if key in self._chains:
            return self._chains[key]
        # Collect the helpers reachable from this one, with their direct findings and edges.
        # Nodes are the functions explored here (by id); helpers of other modules whose chain
        # the project already knows are final nodes (keyed by their HelperRef).
        direct: dict[Any, Blocking | None] = {}
        edges: dict[Any, list[Any]] = {}
        nodes: dict[Any, tuple[FunctionInfo, BlockingIndex]] = {}
        final: dict[Any, Chain | None] = {}
        todo: list[tuple[FunctionInfo, BlockingIndex]] = [(helper, self)]
        while todo:
            fn, index = todo.pop()
            fid = id(fn)
            if fid in nodes:
                continue
            nodes[fid] = (fn, index)
            if fid in index._chains:
                final[fid] = index._chains[fid]
                continue
            first: Blocking | None = None
            subs: list[Helper] = []
            for call in fn.sorted_calls():
                found, sub = index.classify(call, fn)
                if found is not None:
                    first = found
                    break
                if sub is not None and sub is not fn:
                    subs.append(sub)
            direct[fid] = first
            callees: list[Any] = []
            edges[fid] = callees
            if first is not None:
                continue
            for sub in subs:
                if isinstance(sub, HelperRef):
                    assert index.project is not None
                    known, live = index.project.expand(sub, index)
                    if live is None:
                        final[sub] = known  # the project knows its chain already
                        callees.append(sub)
                    else:
                        callees.append(id(live[0]))
                        todo.append(live)
                else:
                    callees.append(id(sub))
                    todo.append((sub, index))

        # A helper blocks if it blocks directly or calls a helper that blocks.  With a project,
        # its chain is the shortest one, through the earliest such call among equally short
        # ones: a choice that does not depend on which helpers were asked about before (the
        # project remembers chains across files).  dist: helpers between a node and its
        # blocking call.
        def single(fid: Any, b: Blocking) -> Chain:
            fn, index = nodes[fid]
            return Chain((fn,), b, (index.module_name,) if index.module_name else ())

        def extended(fid: Any, sub: Chain) -> Chain:
            fn, index = nodes[fid]
            if not sub.modules and not index.module_name:
                return Chain((fn, *sub.helpers), sub.blocking)
            tail = sub.modules or ("",) * len(sub.helpers)
            return Chain((fn, *sub.helpers), sub.blocking, (index.module_name or "", *tail))

        if self.project is None:
            # without a project (flake8, the fixer): the first chain the fixpoint finds, as
            # ever (one module, one memo: the same chains every time)
            result: dict[Any, Chain | None] = dict(final)
            for fid, b in direct.items():
                result[fid] = single(fid, b) if b is not None else None
            changed = True
            while changed:
                changed = False
                for fid, subs in edges.items():
                    if result[fid] is not None:
                        continue
                    for sub in subs:
                        sub_chain = result.get(sub)
                        if sub_chain is not None:
                            result[fid] = extended(fid, sub_chain)
                            changed = True
                            break
            for fid in direct:
                nodes[fid][1]._chains[fid] = result[fid]
            return result[key]
        unknown = float("inf")
        dist: dict[Any, float] = {k: (len(c.helpers) - 1 if c is not None else unknown) for k, c in final.items()}
        for fid, b in direct.items():
            dist[fid] = 0 if b is not None else unknown
        changed = True
        while changed:
            changed = False
            for fid, subs in edges.items():
                best = min((dist[sub] + 1 for sub in subs), default=unknown)
                if best < dist[fid]:
                    dist[fid] = best
                    changed = True
        result = dict(final)
        for fid in sorted(direct, key=lambda k: dist[k]):
            b = direct[fid]
            if b is not None:
                result[fid] = single(fid, b)
            elif dist[fid] == unknown:
                result[fid] = None
            else:
                sub = next(s for s in edges[fid] if dist[s] == dist[fid] - 1)
                sub_chain = result[sub]
                assert sub_chain is not None
                result[fid] = extended(fid, sub_chain)
        for fid in direct:
            fn, index = nodes[fid]
            index._chains[fid] = result[fid]
            if index.project is not None:
                index.project.remember(fn, index, result[fid])
        return result[key]
