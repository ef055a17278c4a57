"""Which calls block, directly or through the sync helpers of the same module they call.

``BlockingIndex.classify(call, fn)`` answers for one call; ``chain(helper)`` answers for a sync
``def`` of this module: the path of helper calls that ends in a blocking call, any depth, cycles
handled (a fixpoint over the helpers reachable from the one asked about).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..data import blocking as tables
from .names import Callee, Resolver
from .scope import FunctionInfo


@dataclass(frozen=True)
class Blocking:
    """A blocking call: its rule code and the name shown to users (``requests.get()``)."""

    code: str
    name: str
    call: ast.Call


@dataclass(frozen=True)
class Chain:
    """``load_twice() -> load_remote() -> requests.get()``: helpers, then the blocking call."""

    helpers: tuple[FunctionInfo, ...]
    blocking: Blocking

    def render(self) -> str:
        return " -> ".join([*(f"{h.qualname}()" for h in self.helpers), self.blocking.name])


class BlockingIndex:
    def __init__(self, resolver: Resolver, blocking: dict[str, str], allow: frozenset[str]) -> None:
        self.resolver = resolver
        self.blocking = blocking
        self.allow = allow
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

    def classify(self, call: ast.Call, fn: FunctionInfo) -> tuple[Blocking | None, FunctionInfo | None]:
        """(the blocking call, or None; the sync helper it calls, or None)."""
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

    def chain(self, helper: FunctionInfo) -> Chain | None:
        """The first path from the sync ``helper`` to a blocking call, or None."""
        key = id(helper)
        if key in self._chains:
            return self._chains[key]
        # Collect the helpers reachable from this one, with their direct findings and edges.
        direct: dict[int, Blocking | None] = {}
        edges: dict[int, list[FunctionInfo]] = {}
        nodes: dict[int, FunctionInfo] = {}
        todo = [helper]
        while todo:
            fn = todo.pop()
            fid = id(fn)
            if fid in nodes:
                continue
            nodes[fid] = fn
            if fid in self._chains:
                continue  # already final
            first: Blocking | None = None
            callees: list[FunctionInfo] = []
            for call in fn.sorted_calls():
                found, sub = self.classify(call, fn)
                if found is not None:
                    first = found
                    break
                if sub is not None and sub is not fn:
                    callees.append(sub)
            direct[fid] = first
            edges[fid] = [] if first is not None else callees
            if first is None:
                todo.extend(callees)
        # Fixpoint: a helper blocks if it blocks directly or calls a helper known to block.
        result: dict[int, Chain | None] = {
            fid: (Chain((nodes[fid],), b) if b is not None else None) for fid, b in direct.items()
        }
        for fid in nodes:
            if fid in self._chains:
                result[fid] = self._chains[fid]
        changed = True
        while changed:
            changed = False
            for fid, subs in edges.items():
                if result[fid] is not None:
                    continue
                for sub in subs:
                    sub_chain = result.get(id(sub))
                    if sub_chain is not None:
                        result[fid] = Chain((nodes[fid], *sub_chain.helpers), sub_chain.blocking)
                        changed = True
                        break
        self._chains.update(result)
        return result[key]
