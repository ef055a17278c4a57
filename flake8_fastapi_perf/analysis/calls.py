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
import dataclasses
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..data import blocking as tables
from . import constants
from .names import PROJECT_TYPE, Callee, Resolver
from .scope import NESTED_SCOPES, OFFLOAD_NAMES, FunctionInfo, child_nodes, is_static, module_level

if TYPE_CHECKING:  # pragma: no cover
    from .project import ProjectIndex


@dataclass(frozen=True, slots=True)
class Blocking:
    """A blocking call: its rule code and the name shown to users (``requests.get()``)."""

    code: str
    name: str
    call: ast.Call


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True, eq=False)
class Bound:
    """A helper called with constant arguments (``get_secret("OPENAI_API_KEY")``) whose chain
    under those constants is not its chain for any argument: the blocking calls of the branches
    the constants rule out are left out (see :mod:`.constants`).  What ``classify`` gives in the
    place of the helper; ``chain`` answers for it with ``chain``."""

    helper: Helper
    chain: Chain
    key: Any  # the node of the fixpoints: the function and the constants


@dataclass(frozen=True, slots=True)
class Chain:
    """``load_twice() -> load_remote() -> requests.get()``: helpers, then the blocking call."""

    helpers: tuple[Helper, ...]
    blocking: Blocking
    #: the module of each helper (project runs only; empty without a project)
    modules: tuple[str, ...] = ()
    #: a hop runs only when a parameter holds a literal its caller picks (a *mode*:
    #: ``if name.startswith("oidc/"):``) and no call on the way passes it: not reported
    moded: bool = False

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


def _single(shown: Helper, module: str | None, blocking: Blocking, moded: bool = False) -> Chain:
    """The chain of a helper that blocks itself (``module``: its module's name, project runs)."""
    return Chain((shown,), blocking, (module,) if module else (), moded)


def _extended(shown: Helper, module: str | None, sub: Chain, moded: bool = False) -> Chain:
    """The chain of a helper that calls the first helper of ``sub`` (under a mode: ``moded``)."""
    moded = moded or sub.moded
    if not sub.modules and not module:
        return Chain((shown, *sub.helpers), sub.blocking, (), moded)
    tail = sub.modules or ("",) * len(sub.helpers)
    return Chain((shown, *sub.helpers), sub.blocking, (module or "", *tail), moded)


def _unmoded(helper: Helper, chain: Chain | None) -> Helper | Bound:
    """``helper`` where its arguments are known but what they pick could not be worked out (too
    deep, recursion): its chain, whatever mode it needs (a call that may block is reported)."""
    if chain is None or not chain.moded:
        return helper
    key = ("unmoded", helper.path, helper.qualname) if isinstance(helper, HelperRef) else ("unmoded", id(helper))
    return Bound(helper, dataclasses.replace(chain, moded=False), key)


def reported(chain: Chain | None) -> bool:
    """A chain the rules report: one that exists and runs whatever mode its caller picks."""
    return chain is not None and not chain.moded


#: a moded chain is worse than any chain that is not (how chains are picked: the shortest)
MODED = 10_000


def _numeric_address(address: ast.expr | None) -> bool:
    """``("127.0.0.1", port)`` or ``"/run/app.sock"``: an address connecting to which resolves
    no host name."""
    if isinstance(address, ast.Tuple) and address.elts:
        host = address.elts[0]
        if isinstance(host, ast.Constant) and isinstance(host.value, str):
            import ipaddress  # rarely needed: not at start-up

            try:
                ipaddress.ip_address(host.value)
            except ValueError:
                return False
            return True
        return False
    return isinstance(address, ast.Constant) and isinstance(address.value, (str, bytes))


def _switched(call: ast.Call, fn: FunctionInfo, switches: frozenset[str], methods: frozenset[str],
              resolving: frozenset[str]) -> bool:
    """``sock.recv()`` after ``sock.setblocking(False)``: the receiver is a name that ``fn``
    binds once (a parameter or one assignment), switched to non-blocking mode by a statement
    earlier in the same block as the call (so always before it), and never switched otherwise."""
    func = call.func
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return False
    if func.attr in resolving:
        if not call.args or not _numeric_address(call.args[-1] if func.attr == "sendto" else call.args[0]):
            return False
    elif func.attr not in methods:
        return False
    name = func.value.id
    if name not in fn.bound:
        return False
    switch_names = {s.partition("(")[0] for s in switches}

    def switch(node: ast.AST) -> str | None:  # ``setblocking(False)`` for ``name.setblocking(False)``
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in switch_names and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name):
            return f"{node.func.attr}({', '.join(ast.unparse(a) for a in node.args)})"
        return None

    args = fn.node.args
    bindings = sum(a is not None and a.arg == name
                   for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg))
    start = (call.lineno, call.col_offset)

    def switched_before(node: ast.AST) -> bool:  # a block of ``node`` switches, then calls
        for block in (getattr(node, "body", None), getattr(node, "orelse", None), getattr(node, "finalbody", None)):
            if isinstance(block, list):
                for i, stmt in enumerate(block[:-1]):
                    if (isinstance(stmt, ast.Expr) and switch(stmt.value) in switches
                            and (block[i + 1].lineno, block[i + 1].col_offset) <= start
                            and start < (block[-1].end_lineno, block[-1].end_col_offset)):  # type: ignore[operator]
                        return True
        return False

    before = switched_before(fn.node)
    stack: list[ast.AST] = list(fn.node.body)
    while stack:
        node = stack.pop()
        if isinstance(node, NESTED_SCOPES):
            if getattr(node, "name", None) == name:
                return False
            continue
        if isinstance(node, ast.Name):
            bindings += node.id == name and not isinstance(node.ctx, ast.Load)
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.ExceptHandler)) or \
                type(node).__name__.startswith("Match"):
            if name in _bound_by(node):
                return False
        else:
            spelled = switch(node)
            if spelled is not None and spelled not in switches:
                return False  # switched to another mode (maybe back to blocking)
        stack.extend(child_nodes(node))
        before = before or switched_before(node)
    return before and bindings <= 1


def _bound_by(node: ast.AST) -> list[str]:
    """The names a ``global``/``nonlocal``, an import, an ``except ... as`` or a match pattern
    binds."""
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return node.names
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).partition(".")[0] for a in node.names]
    names = [getattr(node, "name", None), getattr(node, "rest", None)]
    return [n for n in names if isinstance(n, str)]


#: Decorators that run a function's body once per distinct arguments, for the process's life.
MEMOIZERS = frozenset(["functools.cache", "functools.lru_cache"])


def runs_once(fn: FunctionInfo, resolver: Resolver) -> bool:
    """``fn`` runs its body once per process: a module-level function without parameters under
    ``@functools.cache`` or ``@lru_cache`` (not ``maxsize=0``): settings, clients, model info
    loaded on first use (pattern C of issue 16).  With parameters, every new value runs it again
    (request data would), and a method's cache is per instance: both stay hops."""
    args = fn.node.args
    if args.posonlyargs or args.args or args.kwonlyargs or args.vararg or args.kwarg:
        return False
    return memoized(fn, resolver)


def memoized(fn: FunctionInfo, resolver: Resolver) -> bool:
    """``fn`` is a module-level function under ``@functools.cache`` or ``@lru_cache`` (not
    ``maxsize=0``): its body runs once per process for each distinct set of arguments."""
    node = fn.node
    if fn.cls is not None or not node.decorator_list:
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if resolver.qualname(target, None) not in MEMOIZERS:
            continue
        if isinstance(decorator, ast.Call):
            size = decorator.args[0] if decorator.args else next(
                (kw.value for kw in decorator.keywords if kw.arg == "maxsize"), None)
            if isinstance(size, ast.Constant) and size.value == 0:
                return False  # maxsize=0: no cache at all
        return True
    return False


_ALL = frozenset([-1])  # once_calls: the whole function runs once
#: Methods that fill a container: ``_cache.update(...)`` sets what ``if _cache:`` tests.
FILLERS = frozenset(["update", "setdefault", "append", "extend", "add"])


def once_calls(fn: FunctionInfo) -> frozenset[int]:
    """Ids of the calls of ``fn`` that run once per process: lazy initialisation of a global
    (pattern C of issue 16).  Two shapes, both keyed on a process-wide value ``X`` (a name
    declared ``global``, or an attribute of a module-level name: ``state.config``) that the
    function itself assigns (or fills: ``X[k] = ...``, ``X.update(...)``):

    - ``if X is None:`` (``not X``, ``X == None``) whose body assigns ``X``: the calls in that
      body;
    - ``if X is not None: return X`` (``if X:``) leading the body, or the body of a ``with``
      that is the whole body (a lock): every call (``_ALL``).

    ``self.x`` and request data are never process-wide: a per-instance or per-request cache
    stays a hop."""
    if fn.once is None:
        fn.once = _once_calls(fn)
    return fn.once


def _once_calls(fn: FunctionInfo) -> frozenset[int]:
    node = fn.node
    declared: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, ast.Global):
            declared.update(stmt.names)

    def key(expr: ast.expr) -> str | None:  # the process-wide value an expression reads
        parts: list[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        if expr.id in ("self", "cls") or (expr.id in fn.bound and expr.id not in declared):
            return None  # a parameter or a local: per call, per instance
        outer = fn.parent
        while outer is not None:
            if expr.id in outer.bound:
                return None  # a closure's variable: one per call of the enclosing function
            outer = outer.parent
        return ".".join([expr.id, *reversed(parts)])

    def tested(test: ast.expr, absent: bool) -> str | None:
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Constant) \
                and test.comparators[0].value is None:
            op = test.ops[0]
            if isinstance(op, (ast.Is, ast.Eq) if absent else (ast.IsNot, ast.NotEq)):
                return key(test.left)
            return None
        if absent:
            return key(test.operand) if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else None
        return key(test)

    def assigned(nodes: list[ast.stmt]) -> set[str]:
        found: set[str] = set()
        for stmt in nodes:
            for sub in ast.walk(stmt):
                targets = sub.targets if isinstance(sub, ast.Assign) else \
                    [sub.target] if isinstance(sub, (ast.AnnAssign, ast.AugAssign)) else []
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in FILLERS:
                    targets = [sub.func.value]  # _cache.update(...): fills the module's value
                for target in targets:
                    if isinstance(target, ast.Subscript):
                        target = target.value  # _cache[key] = ...
                    name = key(target)
                    if name is not None:
                        found.add(name)
        return found

    body = [s for s in node.body if not isinstance(s, (ast.Global, ast.Expr))]
    if len(body) == 1 and isinstance(body[0], ast.With):
        body = body[0].body  # the check under a lock (double-checked locking)
    if body:
        first = body[0]
        if isinstance(first, ast.If) and not first.orelse and all(isinstance(s, ast.Return) for s in first.body):
            name = tested(first.test, absent=False)
            if name is not None and name in assigned(body[1:]):
                return _ALL
    once: set[int] = set()
    for sub in _if_statements(node.body):
        name = tested(sub.test, absent=True)
        if name is not None and name in assigned(sub.body):
            once.update(id(c) for stmt in sub.body for c in ast.walk(stmt) if isinstance(c, ast.Call))
    return frozenset(once)


_NO_MODES: tuple[dict[constants.Position, constants.Gates], frozenset[str]] = ({}, frozenset())


def _modes(fn: FunctionInfo) -> tuple[dict[constants.Position, constants.Gates], frozenset[str]]:
    """(where ``fn``'s calls run, the parameters a mode test of it reads), or nothing when no
    ``if`` of ``fn`` tests a parameter against a literal: most functions, told by their tests
    alone (the gates and the rebinding walk the whole body)."""
    positional, keyword_only = constants.parameters(fn.node)
    names = frozenset((*positional, *keyword_only))
    if not names or not any(constants.could_select(stmt.test, names) for stmt in _if_statements(fn.node.body)):
        return _NO_MODES
    free = constants.free_parameters(fn.node)
    if not free:
        return _NO_MODES
    return constants.gates(fn.node), free


def _if_statements(body: list[ast.stmt]) -> Iterator[ast.If]:
    """The ``if`` statements of a function body at any depth (statements only: no expression is
    walked, nor a nested def or class)."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        tp = type(stmt)
        if tp is ast.If:
            yield stmt  # type: ignore[misc]
        for field in _BLOCKS.get(tp, ()):
            stack.extend(getattr(stmt, field))
        if tp in _TRY:
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                stack.extend(handler.body)
        elif tp is _MATCH:
            for case in stmt.cases:  # type: ignore[attr-defined]
                stack.extend(case.body)


_TRY = tuple(t for t in (ast.Try, getattr(ast, "TryStar", None)) if t is not None)
_MATCH = getattr(ast, "Match", None)
_BLOCKS: dict[type, tuple[str, ...]] = {
    ast.If: ("body", "orelse"), ast.For: ("body", "orelse"), ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"), ast.With: ("body",), ast.AsyncWith: ("body",),
    **{t: ("body", "orelse", "finalbody") for t in _TRY},
}


#: how deep chains under constant arguments may nest (each explores a helper again)
MAX_BINDING_DEPTH = 8
#: the chains under constant arguments being worked out, so that a recursion through them gives
#: up narrowing instead of recursing without end; and how deeply ``_bind`` calls are nested
_in_progress: set[Any] = set()
_depth = 0


@dataclass(frozen=True, slots=True)
class Signature:
    """What a call passes, as binding constants needs it (no tree): each argument a constant
    (``("const", value)``), a name (``("name", id)``) or something else (``("other",)``)."""

    attribute: bool  # ``obj.method(...)``: a method's first parameter is the receiver
    args: tuple[tuple[Any, ...], ...]
    keywords: tuple[tuple[str, tuple[Any, ...]], ...]
    unpacks: bool  # ``*args`` or ``**kwargs``: positions and names after it are unknown


def _signature(call: ast.Call) -> Signature:
    def spec(expr: ast.expr) -> tuple[Any, ...]:
        value = constants.constant(expr)
        if value is not constants.UNKNOWN:
            return ("const", value)
        if isinstance(expr, ast.Name):
            return ("name", expr.id)
        return ("other",)

    args: list[tuple[Any, ...]] = []
    unpacks = False
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            unpacks = True
            break
        args.append(spec(arg))
    keywords: list[tuple[str, tuple[Any, ...]]] = []
    for kw in call.keywords:
        if kw.arg is None:
            unpacks = True
        else:
            keywords.append((kw.arg, spec(kw.value)))
    return Signature(isinstance(call.func, ast.Attribute), tuple(args), tuple(keywords), unpacks)


def _passed(signature: Signature, env: dict[str, frozenset[Any]] | None
            ) -> tuple[list[frozenset[Any] | None], dict[str, frozenset[Any]]] | None:
    """The values a call passes by position (None where unknown) and by keyword: literal
    constants, and the parameters of the caller whose values ``env`` knows; None when there
    are none."""
    def values(spec: tuple[Any, ...]) -> frozenset[Any] | None:
        if spec[0] == "const":
            return constants.values(spec[1])
        if spec[0] == "name" and env:
            return env.get(spec[1])
        return None

    positional = [values(spec) for spec in signature.args]
    keywords = {name: found for name, spec in signature.keywords if (found := values(spec)) is not None}
    if not keywords and all(v is None for v in positional):
        return None
    return positional, keywords


def _all_constant(signature: Signature, passed: tuple[list[frozenset[Any] | None], dict[str, frozenset[Any]]]) -> bool:
    """Every argument of the call is a known constant (see ``_passed``)."""
    positional, keywords = passed
    return (not signature.unpacks and all(v is not None and v != constants.ANY for v in positional)
            and len(keywords) == len(signature.keywords) and constants.ANY not in keywords.values())


def _only_any(passed: tuple[list[frozenset[Any] | None], dict[str, frozenset[Any]]]) -> bool:
    """The call passes no constant: only parameters that may hold anything (``constants.ANY``)."""
    positional, keywords = passed
    return all(v is None or v == constants.ANY for v in (*positional, *keywords.values()))


#: Last names of the calls that run what they are handed in a worker thread: ``OFFLOAD_NAMES``
#: but the background tasks, which run after the response, on the loop too.
_THREAD_OFFLOADERS = OFFLOAD_NAMES - {"add_task", "BackgroundTask"}


def _offloaded_file(call: ast.Call, fn: FunctionInfo) -> bool:
    """``call`` (``open(...)``) opens the file of a ``with open(...) as f:`` block that only
    hands ``f`` or its methods to a worker thread (``await asyncio.to_thread(f.read, n)``): the
    loop makes one system call to open it (as ``os.stat`` or ``Path.mkdir``, not reported);
    what reads or writes runs off the loop."""
    for node in ast.walk(fn.node):
        if type(node) is not ast.With and type(node) is not ast.AsyncWith:
            continue
        for item in node.items:  # type: ignore[attr-defined]
            if item.context_expr is not call:
                continue
            target = item.optional_vars
            if not isinstance(target, ast.Name):
                return False
            handed: set[int] = set()  # the uses of the file inside calls that offload
            uses: list[ast.Name] = []
            for inner in (n for stmt in node.body for n in ast.walk(stmt)):  # type: ignore[attr-defined]
                if type(inner) is ast.Call:
                    func = inner.func
                    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
                    if last in _THREAD_OFFLOADERS:
                        for arg in inner.args:
                            value = arg.value if isinstance(arg, ast.Attribute) else arg
                            if isinstance(value, ast.Name) and value.id == target.id:
                                handed.add(id(value))
                elif type(inner) is ast.Name and inner.id == target.id:
                    uses.append(inner)
            return bool(uses) and all(id(u) in handed for u in uses)
    return False


@dataclass(frozen=True, slots=True)
class _Direct:
    """What a function does itself: its first blocking call, else the helpers it calls; and
    apart, the blocking call and helpers it runs only in a mode its caller picks."""

    first: Blocking | None
    subs: list[Helper | Bound]
    moded: Blocking | None
    moded_subs: list[Helper | Bound]

    def callees(self) -> Iterator[tuple[Helper | Bound, bool]]:
        """Each helper it calls, with whether it calls it only in a mode."""
        for sub in self.subs:
            yield sub, False
        for sub in self.moded_subs:
            yield sub, True


@dataclass(frozen=True, slots=True)
class _Step:
    """A call of a helper that binding constants looks at: where it runs, and what it is."""

    gate: constants.Gates | None
    blocking: Blocking | None
    helper: Helper | None
    signature: Signature | None
    fixed: Chain | None = None  # a nested function's chain (constants are not carried into it)


@dataclass(frozen=True, slots=True)
class _Binding:
    """A helper's calls and parameters, for chains under constant arguments (no tree)."""

    facts: constants.Facts
    steps: tuple[_Step, ...]
    memoized: bool
    method: bool  # a method (not static): called on an object, its first parameter is the receiver
    shown: Helper
    module: str | None
    place: tuple[Any, ...]
    free: frozenset[str] = frozenset()  # the parameters a mode test reads (constants.free_parameters)


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
        #: chains under constant arguments (no project; with one, the project keeps them)
        self._bound: dict[Any, Chain | None] = {}
        self._bindings: dict[Any, _Binding | None] = {}

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

    def classify(self, call: ast.Call, fn: FunctionInfo) -> tuple[Blocking | None, Helper | Bound | None]:
        """(the blocking call, or None; the sync helper it calls, or None).  The helper is a
        ``FunctionInfo`` of this module, or (project runs) a ``HelperRef`` of another one, or a
        ``Bound`` helper when the call's constant arguments rule out the branch its chain goes
        through."""
        found, helper = self._classify(call, fn)
        if helper is not None:
            return None, self.bind(call, helper, fn)
        return found, None

    def _classify(self, call: ast.Call, fn: FunctionInfo) -> tuple[Blocking | None, Helper | None]:
        if id(call) in fn.awaited:
            return None, None
        once = once_calls(fn)
        if once and (once is _ALL or id(call) in once):
            return None, None  # lazy initialisation: runs once per process
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
                ref = self.project.function(self.path, callee.name, record_edges=True)
                if ref is not None and not ref.is_async and not ref.is_generator:
                    # the tables and the allow list also know it by the name it is defined as
                    defined = f"{ref.module}.{ref.qualname}"
                    if self._allowed(defined):
                        return None, None
                    code = self.blocking.get(defined)
                    if code is not None:
                        return Blocking(code, defined + "()", call), None
                    return None, ref
            elif (callee.kind == "method" and fn.is_async and self.project is not None
                  and isinstance(callee.type, str) and callee.type.startswith(PROJECT_TYPE)):
                # a coroutine calls a method of an instance of a class of another module
                # (``UserService(db).get(i)``).  Only from the coroutine itself: deeper in a
                # chain, such hops were mostly clients set up once (measured on prefect: 71 more
                # findings of client code, none served)
                ref = self.project.method(self.path or "", callee.type[len(PROJECT_TYPE):], callee.name,
                                          record_edges=True)
                if (ref is not None and not ref.is_async and not ref.is_generator
                        and not self._allowed(f"{ref.module}.{ref.qualname}")):
                    return None, ref
            return None, None
        if callee.kind == "name":
            if callee.name in tables.IN_MEMORY_OK and self._in_memory(call, fn):
                return None, None
            if callee.name == "open" and _offloaded_file(call, fn):
                return None, None
            flag = tables.NON_BLOCKING_FLAGS.get(callee.name)
            if flag is not None and self._flagged(call, fn, *flag):
                return None, None
        elif isinstance(callee.type, str) and callee.type in tables.NON_BLOCKING_MODE:
            if _switched(call, fn, *tables.NON_BLOCKING_MODE[callee.type]):
                return None, None
        return Blocking(code, callee.qualified + "()", call), None

    def _flagged(self, call: ast.Call, fn: FunctionInfo, position: int, flag: str, value: int) -> bool:
        """The argument at ``position`` includes ``flag`` (``os.WNOHANG``, ``os.WNOHANG | x``,
        or its number ``value``)."""
        todo: list[ast.expr] = call.args[position:position + 1]
        while todo:
            expr = todo.pop()
            if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
                todo += (expr.left, expr.right)
            elif isinstance(expr, ast.Constant):
                if type(expr.value) is int and expr.value & value:
                    return True
            elif self.resolver.qualname(expr, fn) == flag:
                return True
        return False

    def _in_memory(self, call: ast.Call, fn: FunctionInfo) -> bool:
        """The call's file argument is an ``io.BytesIO``/``io.StringIO`` buffer."""
        source = call.args[0] if call.args else next(
            (kw.value for kw in call.keywords if kw.arg in ("fp", "file", "fileobj")), None
        )
        for kw in call.keywords:
            if kw.arg == "fileobj":
                source = kw.value
        return source is not None and self.resolver.type_of(source, fn) == "io.BytesIO"

    def _direct(self, fn: FunctionInfo) -> _Direct:
        """``fn``'s first blocking call, or None; else the sync helpers it calls, in order.  A
        call that runs only in a mode its caller picks (``if name.startswith("oidc/"):``, see
        ``constants.selects``) is kept apart: its chains are moded."""
        if runs_once(fn, self.resolver):
            return _Direct(None, [], None, [])  # its body runs on the first call only: no per-request hop
        subs: list[Helper | Bound] = []
        moded_subs: list[Helper | Bound] = []
        moded: Blocking | None = None
        modes: tuple[dict[constants.Position, constants.Gates], frozenset[str]] | None = None
        for call in fn.sorted_calls():
            found, sub = self.classify(call, fn)
            if found is None and (sub is None or sub is fn):
                continue
            if modes is None:
                modes = _modes(fn)
            gate = modes[0].get(constants.position(call))
            if gate is not None and constants.selects(gate, modes[1]):
                if found is not None:
                    moded = moded or found
                else:
                    moded_subs.append(sub)  # type: ignore[arg-type]
                continue
            if found is not None:
                return _Direct(found, [], None, [])
            subs.append(sub)  # type: ignore[arg-type]
        return _Direct(None, subs, moded, moded_subs)

    # -- constant arguments ---------------------------------------------------------------------
    def bind(self, call: ast.Call, helper: Helper, fn: FunctionInfo | None = None) -> Helper | Bound | None:
        """``helper`` as ``call`` calls it: itself, or a ``Bound`` helper when the constants
        ``call`` passes rule out the branches its chain goes through, or None when they rule out
        every blocking call it reaches (or it is a cache called with constants only).  A
        parameter of the coroutine ``fn`` passed on may hold any value (request data): any mode."""
        env = None
        if fn is not None and fn.is_async:
            positional, keyword_only = constants.parameters(fn.node)
            env = {name: constants.ANY for name in (*positional, *keyword_only)}
        return self._bind(_signature(call), helper, env)

    def _bind(self, signature: Signature, helper: Helper, env: dict[str, frozenset[Any]] | None) -> Helper | Bound | None:
        """``bind`` for a call of a helper explored under ``env`` (its caller's parameters)."""
        global _depth
        passed = _passed(signature, env)
        if passed is None or _depth >= MAX_BINDING_DEPTH:
            # a call passing no constant is taken as calling the helper with any arguments: its
            # defaults alone are not tried (on litellm that cut 17 more findings, at +18% time
            # and +20 MB of peak memory)
            return helper
        _depth += 1
        try:
            chain = self.chain(helper)
            if chain is None:
                return helper  # blocks with no argument: nothing to rule out
            if not chain.moded and _only_any(passed):
                return helper  # nothing to rule out, no mode to pick
            binding = self._binding_of(helper)
            if binding is None:
                return _unmoded(helper, chain)
            if binding.memoized and _all_constant(signature, passed):
                return None  # a cache hit after its first call with these constants
            return self._bound_helper(signature, helper, binding, passed)
        finally:
            _depth -= 1

    def _binding_of(self, helper: Helper) -> _Binding | None:
        """What binding constants to ``helper``'s parameters needs from its tree, worked out
        once per function and settings (project runs: kept without the tree, so a helper called
        with many constants is not parsed again for each)."""
        project = self.project
        if project is None:
            key: Any = id(helper)
            store = self._bindings
        elif isinstance(helper, HelperRef):
            key = (self.key, helper.path, helper.qualname)
            store = project.function_facts
        else:
            key = (self.key, self.path, helper.qualname, helper.node.lineno, helper.node.col_offset)
            store = project.function_facts
        if key in store:
            return store[key]
        if isinstance(helper, HelperRef):
            assert project is not None
            live = project.live(helper, self)
            if live is None:
                store[key] = None
                return None
            fn, index = live
        else:
            fn, index = helper, self
        with project.holding(index.path or "") if project is not None else nullcontext():
            binding = store[key] = index._make_binding(fn)
        return binding

    def _make_binding(self, fn: FunctionInfo) -> _Binding:
        project = self.project
        steps: list[_Step] = []
        if not runs_once(fn, self.resolver):
            gates = constants.gates(fn.node)
            for call in fn.sorted_calls():
                found, sub = self._classify(call, fn)
                if found is None and (sub is None or sub is fn):
                    continue
                gate = gates.get(constants.position(call))
                if isinstance(sub, FunctionInfo) and project is not None and not module_level(sub):
                    # a nested function has no portable name: its chain for any argument
                    fixed = project.portable(self.chain(sub))
                    if fixed is not None:
                        steps.append(_Step(gate, None, None, None, fixed))
                    continue
                if sub is not None and project is not None:
                    sub = project.portable_helper(sub)
                steps.append(_Step(gate, found, sub, _signature(call) if sub is not None else None))
        else:
            gates = {}
        shown: Helper = project.portable_helper(fn) if project is not None else fn
        facts = constants.Facts(fn.node, fn.sorted_calls(), gates)
        return _Binding(
            facts, tuple(steps), memoized(fn, self.resolver),
            fn.cls is not None and not is_static(fn), shown, self.module_name if project is not None else None,
            (self.path, fn.qualname, fn.node.lineno, fn.node.col_offset), constants.free_parameters(fn.node, facts.rebound),
        )

    def _bound_helper(self, signature: Signature, helper: Helper, binding: _Binding,
                      passed: tuple[list[frozenset[Any] | None], dict[str, frozenset[Any]]]) -> Helper | Bound | None:
        facts = binding.facts
        positional, keywords = passed
        names = facts.positional
        if binding.method and signature.attribute:
            names = names[1:]  # ``self``/``cls``: the receiver
        bound: dict[str, frozenset[Any]] = {}
        for name, values in zip(names, positional):
            if values is not None:
                bound[name] = values
        for name, values in keywords.items():
            if name in names or name in facts.keyword_only:
                bound[name] = values
        if not signature.unpacks:
            # the parameters the call leaves out hold their defaults
            passed_names = {*names[:len(signature.args)], *(name for name, _ in signature.keywords)}
            for name, default in facts.defaults.items():
                if name not in passed_names and name not in bound:
                    bound[name] = constants.values(default)
        bound = {name: values for name, values in bound.items() if name in facts.read}
        if not bound:
            return helper  # no test reads them and no call is passed them
        env = constants.values_of(facts.rebound, bound)
        if not env:
            return helper
        key = ("bound", *binding.place, frozenset(env.items()))
        store = self.project.bound_chains if self.project is not None else self._bound
        memo = (self.key, *key)
        if memo in store:
            chain = store[memo]
        elif memo in _in_progress:
            return _unmoded(helper, self.chain(helper))  # recursion under the same constants: no narrowing
        else:
            _in_progress.add(memo)
            try:
                chain = self._bound_chain(binding, env)
            finally:
                _in_progress.discard(memo)
            store[memo] = self.project.portable(chain) if self.project is not None else chain
        if chain is None:
            return None
        if chain == self.chain(helper):
            return helper
        return Bound(helper, chain, key)

    def _bound_chain(self, binding: _Binding, env: dict[str, frozenset[Any]]) -> Chain | None:
        """The shortest chain of a helper when its parameters hold the values of ``env``: its
        first blocking call the values do not rule out, else the shortest chain of the helpers
        it calls under the values it passes them; moded (see ``_direct``) where only a mode of
        a parameter ``env`` does not know leads to one."""
        live = [step for step in binding.steps if step.gate is None or not constants.skipped(step.gate, env)]
        unknown = binding.free - env.keys()
        moded = [step.gate is not None and constants.selects(step.gate, unknown) for step in live]
        for step, in_mode in zip(live, moded):
            if step.blocking is not None and not in_mode:
                return _single(binding.shown, binding.module, step.blocking)
        best: Chain | None = None
        cost = float("inf")
        for step, in_mode in zip(live, moded):
            if step.blocking is not None:
                if MODED < cost:
                    best, cost = _single(binding.shown, binding.module, step.blocking, True), MODED
                continue
            if step.fixed is not None:
                sub_chain: Chain | None = step.fixed
            else:
                assert step.helper is not None and step.signature is not None
                sub = self._bind(step.signature, step.helper, env)
                if sub is None:
                    continue
                sub_chain = sub.chain if isinstance(sub, Bound) else self.chain(sub)
            if sub_chain is None:
                continue
            sub_cost = len(sub_chain.helpers) + 1 + (MODED if in_mode or sub_chain.moded else 0)
            if sub_cost < cost:
                best, cost = _extended(binding.shown, binding.module, sub_chain, in_mode), sub_cost
        return best

    def chain(self, helper: Helper | Bound) -> Chain | None:
        """The first path from the sync ``helper`` to a blocking call, or None."""
        if isinstance(helper, Bound):
            return helper.chain
        project = self.project
        if project is None or isinstance(helper, HelperRef) or id(helper) in self._chains:
            return self._chain(helper)
        project.depth += 1
        try:
            return self._chain(helper)
        finally:
            project.depth -= 1
            if not project.depth and project.session_active:
                project.settle_hubs()
                project.trim()  # the chains are remembered: the trees walked can go

    def _chain(self, helper: Helper) -> Chain | None:
        if isinstance(helper, HelperRef):
            return self.project.chain_of(helper, self) if self.project is not None else None
        key = id(helper)
        if key in self._chains:
            return self._chains[key]
        if self.project is not None:
            return self._project_chain(helper)
        # Collect the helpers reachable from this one (all of this module), with their direct
        # findings and edges.  Nodes are the functions explored here (by id).
        direct: dict[Any, _Direct] = {}
        edges: dict[Any, list[tuple[Any, bool]]] = {}  # (callee, called in a mode)
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
            found = direct[fid] = index._direct(fn)
            edges[fid] = []
            for sub, moded in found.callees():
                if isinstance(sub, Bound):
                    final.setdefault(sub.key, sub.chain)
                    edges[fid].append((sub.key, moded))
                else:
                    edges[fid].append((id(sub), moded))
                    todo.append((sub, index))

        # A helper blocks if it blocks directly or calls a helper that blocks: the first chain
        # the fixpoint finds, as ever (one module, one memo: the same chains every time); a
        # moded chain only where there is no other.
        result: dict[Any, Chain | None] = dict(final)
        for fid, d in direct.items():
            result[fid] = _single(nodes[fid][0], None, d.first) if d.first is not None else None

        def settle(moded_too: bool) -> None:
            changed = True
            while changed:
                changed = False
                for fid, subs in edges.items():
                    if result[fid] is not None:
                        continue
                    for sub, moded in subs:
                        sub_chain = result.get(sub)
                        if sub_chain is not None and (moded_too or not (moded or sub_chain.moded)):
                            result[fid] = _extended(nodes[fid][0], None, sub_chain, moded)
                            changed = True
                            break

        settle(False)
        for fid, d in direct.items():
            if result[fid] is None and d.moded is not None:
                result[fid] = _single(nodes[fid][0], None, d.moded, True)
        settle(True)
        for fid in direct:
            nodes[fid][1]._chains[fid] = result[fid]
        return result[key]

    def _project_chain(self, helper: FunctionInfo) -> Chain | None:
        """``chain`` in a project run: the helpers reachable from ``helper`` may be of any
        module.  This module's functions are explored with its tree held; those of another
        module one module at a time (a helper of another module waits, as a ``HelperRef``,
        until its module's turn), and between two modules the index may drop trees beyond its
        budget: one chain can walk through 50 modules (3 MB of source on litellm, ~100 MB of
        trees), which used to stay alive until the chain was complete.  Nodes are keyed by id
        for this module's functions, by (path, qualname) for module-level functions of other
        modules (also (line, column) for their nested ones), so that a tree parsed again
        gives the same keys."""
        project = self.project
        assert project is not None
        home = self.path
        direct: dict[Any, _Direct] = {}
        edges: dict[Any, list[tuple[Any, bool]]] = {}  # (callee, called in a mode)
        final: dict[Any, Chain | None] = {}
        #: key -> (the helper as chains show it, its module's name, this module's function or None)
        nodes: dict[Any, tuple[Helper, str | None, FunctionInfo | None]] = {}
        waiting: dict[str, list[HelperRef]] = {}  # helpers of other modules to explore, by path
        local: list[tuple[FunctionInfo, BlockingIndex, Any]] = [(helper, self, id(helper))]

        def foreign_key(fn: FunctionInfo, index: BlockingIndex) -> Any:
            if module_level(fn):
                return (index.path, fn.qualname)
            return (index.path, fn.qualname, fn.node.lineno, fn.node.col_offset)

        def visit(fn: FunctionInfo, index: BlockingIndex, key: Any) -> None:
            if key in nodes or key in final:
                return
            mine = index is self
            if mine:
                nodes[key] = (fn, self.module_name, fn)
                if key in self._chains:
                    final[key] = self._chains[key]
                    return
            else:
                nodes[key] = (HelperRef(index.path or "", index.module_name or "", fn.qualname, fn.is_async,
                                        fn.is_generator), index.module_name, None)
                if id(fn) in index._chains:
                    final[key] = project.portable(index._chains[id(fn)])
                    return
                if len(key) == 2 and project.knows(self.key, *key):
                    final[key] = project.known(self.key, *key)
                    return
            found = direct[key] = index._direct(fn)
            callees: list[tuple[Any, bool]] = []
            edges[key] = callees
            for sub, moded in found.callees():
                if isinstance(sub, Bound):  # its chain is known: a final node
                    final.setdefault(sub.key, sub.chain)
                    callees.append((sub.key, moded))
                    continue
                if not isinstance(sub, HelperRef):  # a function of index's module
                    sub_key = id(sub) if mine else foreign_key(sub, index)
                    callees.append((sub_key, moded))
                    local.append((sub, index, sub_key))
                    continue
                sub_key = (sub.path, sub.qualname)
                if sub.path == home:  # this module's tree is held: explore it now
                    known, live = project.expand(sub, self)
                    if live is not None and live[1] is self:
                        callees.append((id(live[0]), moded))
                        local.append((live[0], self, id(live[0])))
                        continue
                    if live is None:
                        final.setdefault(sub_key, known)
                        callees.append((sub_key, moded))
                        continue
                callees.append((sub_key, moded))
                if sub_key in nodes or sub_key in final:
                    continue
                if project.knows(self.key, *sub_key):
                    final[sub_key] = project.known(self.key, *sub_key)
                else:
                    waiting.setdefault(sub.path, []).append(sub)

        with project.holding(home or ""):
            while True:
                while local:
                    visit(*local.pop())
                if not waiting:
                    break
                if project.session_active:
                    project.trim()  # what the modules explored so far told is in nodes and edges
                path = next((p for p in waiting if project.is_live(p)), next(iter(waiting)))
                with project.holding(path):  # its functions wait on ``local`` meanwhile
                    for ref in waiting.pop(path):
                        ref_key = (ref.path, ref.qualname)
                        if ref_key in nodes or ref_key in final:
                            continue
                        known, live = project.expand(ref, self)
                        if live is None:
                            final[ref_key] = known
                        else:
                            local.append((live[0], live[1], ref_key))
                    while local:
                        visit(*local.pop())

        # A helper blocks if it blocks directly or calls a helper that blocks.  Its chain is the
        # shortest one, through the earliest such call among equally short ones: a choice that
        # does not depend on which helpers were asked about before (the project remembers
        # chains across files); a moded chain only where there is no other.  dist: helpers
        # between a node and its blocking call, plus MODED for a moded chain.
        unknown = float("inf")
        dist: dict[Any, float] = {
            k: (len(c.helpers) - 1 + (MODED if c.moded else 0) if c is not None else unknown) for k, c in final.items()
        }

        def through(sub: Any, moded: bool) -> float:
            return dist[sub] + 1 + (MODED if moded and dist[sub] < MODED else 0)

        for fid, d in direct.items():
            dist[fid] = 0 if d.first is not None else MODED if d.moded is not None else unknown
        changed = True
        while changed:
            changed = False
            for fid, subs in edges.items():
                best = min((through(sub, moded) for sub, moded in subs), default=unknown)
                if best < dist[fid]:
                    dist[fid] = best
                    changed = True
        result = dict(final)
        for fid in sorted(direct, key=lambda k: dist[k]):
            d = direct[fid]
            shown, module, _ = nodes[fid]
            if d.first is not None:
                result[fid] = _single(shown, module, d.first)
            elif dist[fid] == unknown:
                result[fid] = None
            elif d.moded is not None and dist[fid] == MODED:
                result[fid] = _single(shown, module, d.moded, True)
            else:
                sub, moded = next((s, m) for s, m in edges[fid] if through(s, m) == dist[fid])
                sub_chain = result[sub]
                assert sub_chain is not None
                result[fid] = _extended(shown, module, sub_chain, moded)
        for fid in direct:
            fn = nodes[fid][2]
            if fn is not None:
                self._chains[fid] = result[fid]
                project.remember(fn, self, result[fid])
            elif len(fid) == 2:  # a module-level function of another module
                project.learn(self.key, *fid, result[fid])
        return result[id(helper)]
