"""Branches a helper cannot take with the constants its caller passes.

``get_secret("OPENAI_API_KEY")`` calls a helper whose only blocking call is under
``if secret_name.startswith("oidc/"):``: with that constant the branch is never taken, and the call
is not a hop of a blocking chain.  This module answers the two questions that needs, from one
function's tree and nothing else:

- :func:`gates`: for each call of a function, the ``if`` tests that must hold (or fail) for it to
  run: the tests of the ``if`` statements around it, and of the earlier ``if`` statements of the
  same block whose body always returns or raises (``if not name: return None`` guards what
  follows);
- :func:`skipped`: whether a call cannot run when some parameters hold known constants, by
  evaluating those tests: comparisons, ``in``, ``is None``, ``and``/``or``/``not`` and the pure
  ``str`` methods (``startswith``, ``replace``, ``lower``, ...).  Anything else is unknown, and an
  unknown test never skips a call: the answer errs towards "may run".

A parameter rebound in the function is followed only through assignments the evaluator can
compute from its value (``name = name.replace("os.environ/", "")``, in any branch: every value it
may hold is tried); any other rebinding (a loop target, ``with ... as``, ``+=``, a call) makes
the parameter unknown.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

#: a value the evaluator cannot compute
UNKNOWN: Any = object()

#: pure ``str`` methods whose result the evaluator computes from constant arguments
STR_METHODS = frozenset({
    "startswith", "endswith", "lower", "upper", "casefold", "strip", "lstrip", "rstrip",
    "replace", "removeprefix", "removesuffix", "isdigit", "isalpha", "isalnum", "isidentifier",
    "islower", "isupper", "isspace", "count", "find", "rfind", "split", "rsplit", "partition",
    "rpartition",
})

#: constants a parameter may be bound to (what a call site spells literally)
CONSTANT_TYPES = (str, bytes, int, float, bool, type(None))

#: the longest text the evaluator makes (``"a".replace("", "b" * 10**6)`` stays unknown)
MAX_TEXT = 4096
#: the most combinations of parameter values tried for one call
MAX_COMBINATIONS = 64
#: the most values a rebound parameter may take
MAX_VALUES = 16

Gates = tuple[tuple[ast.expr, bool], ...]


def constant(expr: ast.expr) -> Any:
    """The value of a literal argument (``"x"``, ``None``, ``3``, ``-1``), or ``UNKNOWN``."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, CONSTANT_TYPES):
        return expr.value
    if (isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant)
            and type(expr.operand.value) in (int, float)):
        return -expr.operand.value
    return UNKNOWN


#: the values of a parameter that may hold anything its caller's caller passed (a coroutine's
#: parameter: request data, say): no test on it is decided, and it may pick any mode
ANY: frozenset[tuple[type, Any]] = frozenset({(object, UNKNOWN)})


def values(*items: Any) -> frozenset[tuple[type, Any]]:
    """A set of the values a parameter may hold, each with its type: ``1``, ``1.0`` and ``True``
    are equal (one element of a plain set) but ``p is True`` and ``p.startswith`` tell them apart."""
    return frozenset((type(item), item) for item in items)


def evaluate(expr: ast.expr, env: dict[str, Any]) -> Any:
    """The value of ``expr`` when the names of ``env`` hold its values, or ``UNKNOWN``."""
    try:
        return _evaluate(expr, env, 0)
    except (TypeError, ValueError, AttributeError, IndexError, OverflowError, MemoryError, RecursionError):
        return UNKNOWN


def _evaluate(expr: ast.expr, env: dict[str, Any], depth: int) -> Any:
    if depth > 20:
        return UNKNOWN
    depth += 1
    if isinstance(expr, ast.Name):
        return env.get(expr.id, UNKNOWN)
    value = constant(expr)
    if value is not UNKNOWN:
        return value
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        items = [_evaluate(e, env, depth) for e in expr.elts]
        if any(item is UNKNOWN for item in items) or any(isinstance(e, ast.Starred) for e in expr.elts):
            return UNKNOWN
        return tuple(items)  # only ever the right side of ``in``
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        truth = _truth(expr.operand, env, depth)
        return UNKNOWN if truth is None else not truth
    if isinstance(expr, ast.BoolOp):
        truths = [_truth(e, env, depth) for e in expr.values]
        if isinstance(expr.op, ast.And):
            if False in truths:
                return False
            return True if all(t is True for t in truths) else UNKNOWN
        if True in truths:
            return True
        return False if all(t is False for t in truths) else UNKNOWN
    if isinstance(expr, ast.Compare):
        left = _evaluate(expr.left, env, depth)
        if left is UNKNOWN:
            return UNKNOWN
        for op, comparator in zip(expr.ops, expr.comparators):
            right = _evaluate(comparator, env, depth)
            if right is UNKNOWN:
                return UNKNOWN
            outcome = _compare(op, left, right)
            if outcome is UNKNOWN:
                return UNKNOWN
            if not outcome:
                return False
            left = right
        return True
    if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in STR_METHODS
            and not expr.keywords):
        receiver = _evaluate(expr.func.value, env, depth)
        if not isinstance(receiver, str):
            return UNKNOWN
        args = [_evaluate(a, env, depth) for a in expr.args]
        if any(a is UNKNOWN for a in args) or any(isinstance(a, ast.Starred) for a in expr.args):
            return UNKNOWN
        if expr.func.attr == "replace":
            if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str) or not args[0]:
                return UNKNOWN
            if len(receiver) + receiver.count(args[0]) * len(args[1]) > MAX_TEXT:
                return UNKNOWN
        result = getattr(str, expr.func.attr)(receiver, *args)
        if isinstance(result, str) and len(result) > MAX_TEXT:
            return UNKNOWN
        return tuple(result) if isinstance(result, list) else result
    return UNKNOWN


def _compare(op: ast.cmpop, left: Any, right: Any) -> Any:
    if isinstance(op, (ast.Is, ast.IsNot)):
        # identity is only known against the singletons
        if not any(v is None or isinstance(v, bool) for v in (left, right)):
            return UNKNOWN
        same = left is right
        return same if isinstance(op, ast.Is) else not same
    if isinstance(op, ast.Eq):
        return left == right
    if isinstance(op, ast.NotEq):
        return left != right
    if isinstance(op, (ast.In, ast.NotIn)):
        if isinstance(right, str) and not isinstance(left, str):
            return UNKNOWN
        if not isinstance(right, (str, tuple)):
            return UNKNOWN
        inside = left in right
        return inside if isinstance(op, ast.In) else not inside
    return UNKNOWN


def _truth(expr: ast.expr, env: dict[str, Any], depth: int) -> bool | None:
    value = _evaluate(expr, env, depth)
    return None if value is UNKNOWN else bool(value)


def truth(expr: ast.expr, env: dict[str, Any]) -> bool | None:
    """Whether ``expr`` is true when the names of ``env`` hold its values (None: unknown)."""
    value = evaluate(expr, env)
    return None if value is UNKNOWN else bool(value)


# -- where calls run ---------------------------------------------------------------------------

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

#: a call's place in its module: calls of one text keep it when the text is parsed again
Position = tuple[int, int, int | None, int | None]
#: the tests a call runs under: each with the truth it must have, the names it reads, and
#: whether the call is in the branch of the ``if`` (else: after an ``if`` whose body leaves)
Gates = tuple[tuple[ast.expr, bool, frozenset[str], bool], ...]


def position(call: ast.Call) -> Position:
    return (call.lineno, call.col_offset, call.end_lineno, call.end_col_offset)


def _exits(body: list[ast.stmt]) -> bool:
    """The block always leaves the function (its last statement returns or raises)."""
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


def gates(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[Position, Gates]:
    """For each call of ``fn`` (by position) under at least one test: the tests, each with the
    truth it must have for the call to run."""
    found: dict[Position, Gates] = {}
    _block(fn.body, (), found)
    return found


def _gate(test: ast.expr, expected: bool, branch: bool = True) -> tuple[ast.expr, bool, frozenset[str], bool]:
    return (test, expected, frozenset(n.id for n in ast.walk(test) if isinstance(n, ast.Name)), branch)


def _block(body: list[ast.stmt], outer: Gates, found: dict[Position, Gates]) -> None:
    current = outer
    for stmt in body:
        _statement(stmt, current, found)
        if isinstance(stmt, ast.If):
            if _exits(stmt.body) and not _exits(stmt.orelse):
                current = (*current, _gate(stmt.test, False, False))
            elif _exits(stmt.orelse) and not _exits(stmt.body):
                current = (*current, _gate(stmt.test, True, False))


def _statement(stmt: ast.stmt, gate: Gates, found: dict[Position, Gates]) -> None:
    if isinstance(stmt, _SCOPES):
        for expr in (*stmt.decorator_list, *getattr(stmt, "bases", ())):  # run where defined
            _calls(expr, gate, found)
        return
    if isinstance(stmt, ast.If):
        _calls(stmt.test, gate, found)
        _block(stmt.body, (*gate, _gate(stmt.test, True)), found)
        _block(stmt.orelse, (*gate, _gate(stmt.test, False)), found)
        return
    blocks: list[list[ast.stmt]] = []
    for field, value in ast.iter_fields(stmt):
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            blocks.append(value)
        elif field == "handlers" or field == "cases":
            for part in value:
                if isinstance(part, ast.match_case) and part.guard is not None:
                    _calls(part.guard, gate, found)
                blocks.append(part.body)
        elif isinstance(value, ast.AST):
            _calls(value, gate, found)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    _calls(item, gate, found)
    for block in blocks:
        _block(block, gate, found)


def _calls(node: ast.AST, gate: Gates, found: dict[Position, Gates]) -> None:
    if not gate:
        return
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, _SCOPES):
            continue
        if isinstance(item, ast.Call):
            found[position(item)] = gate
        todo.extend(ast.iter_child_nodes(item))


# -- modes: tests that pick one literal value of a parameter ---------------------------------

#: prefixes of web links (``"http"``, ``"https://"``, ``"wss://"``, ``"data:"``): a branch for
#: links runs whenever the data holds one (a user's image URL), it is no mode a caller picks; a
#: storage or secret reference (``"s3://"``, ``"oidc/"``, ``"file:"``) is one
WEB_PREFIXES = ("http", "ws", "ftp", "data:", "//")


def _literals(expr: ast.expr, prefix: bool = False) -> bool:
    """A non-empty literal string, or a tuple/list/set of them; for a prefix, not a web link's
    (``WEB_PREFIXES``)."""
    if isinstance(expr, ast.Constant):
        value = expr.value
        return (isinstance(value, str) and bool(value)
                and not (prefix and value.lower().startswith(WEB_PREFIXES)))
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return bool(expr.elts) and all(isinstance(item, ast.Constant) and _literals(item, prefix) for item in expr.elts)
    return False


def _selects(test: ast.expr, expected: bool, free: frozenset[str]) -> bool:
    """``test`` having the truth ``expected`` means a name of ``free`` holds one of a few
    literal strings: ``name == "file"``, ``name in ("a", "b")``, ``name.startswith("oidc/")``
    (true), ``name != "file"``, ``not name.startswith(...)`` (false).  Not a web link's scheme
    (``url.startswith("https://")``) nor a file name's extension (``name.endswith(".pdf")``):
    those test data."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _selects(test.operand, not expected, free)
    if isinstance(test, ast.BoolOp):
        if isinstance(test.op, ast.And) == expected:  # ``a and b`` true, ``a or b`` false: each
            return any(_selects(value, expected, free) for value in test.values)
        # ``a or b`` true (``name.startswith("s3://") or name.startswith("gcs://")``): one of them
        return all(_selects(value, expected, free) for value in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        if isinstance(op, (ast.Eq, ast.NotEq)):
            if isinstance(right, ast.Name):
                left, right = right, left
            return (isinstance(left, ast.Name) and left.id in free and isinstance(right, ast.Constant)
                    and _literals(right) and expected is isinstance(op, ast.Eq))
        if isinstance(op, (ast.In, ast.NotIn)):
            return (isinstance(left, ast.Name) and left.id in free and isinstance(right, (ast.Tuple, ast.List, ast.Set))
                    and _literals(right) and expected is isinstance(op, ast.In))
        return False
    if (isinstance(test, ast.Call) and expected and isinstance(test.func, ast.Attribute)
            and test.func.attr == "startswith" and isinstance(test.func.value, ast.Name)
            and test.func.value.id in free and len(test.args) == 1 and not test.keywords):
        return _literals(test.args[0], prefix=True)  # (not ``endswith``: a file name's extension is data)
    return False


def could_select(test: ast.expr, names: frozenset[str]) -> bool:
    """``test`` picks a mode of one of ``names`` when it is true or when it is false."""
    return _selects(test, True, names) or _selects(test, False, names)


def selects(gate: Gates, free: frozenset[str]) -> bool:
    """A call under ``gate`` runs only when a parameter of ``free`` holds one of a few literal
    strings (a *mode* its caller picks: ``get_secret("oidc/file/...")``): in the branch of such
    a test, not after a guard that leaves for the other values (``if mode not in ("auto",
    "high"): return``: what follows is the function's own path, values checked)."""
    return bool(free) and any(_selects(test, expected, free) for test, expected, read, branch in gate
                              if branch and read & free)


def free_parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef,
                    rebound: dict[str, list[ast.expr] | None] | None = None) -> frozenset[str]:
    """The parameters of ``fn`` that hold what its caller passed, or a value the evaluator
    computes from it (``name = name.replace("os.environ/", "")``): a mode test on one of them
    is a test of the caller's argument.  ``rebound``: :func:`rebinding` of every parameter,
    when it is at hand (``Facts.rebound``)."""
    if rebound is None:
        positional, keyword_only = parameters(fn)
        rebound = rebinding(fn, [*positional, *keyword_only])
    free: set[str] = set()
    for name, assigned in rebound.items():
        if assigned is not None and all(evaluate(expr, {name: "x"}) is not UNKNOWN for expr in assigned):
            free.add(name)
    return frozenset(free)


# -- parameters and their values ---------------------------------------------------------------

def parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[str], set[str]]:
    """(the positional parameters, in order; the keyword-only ones)."""
    args = fn.args
    return [a.arg for a in (*args.posonlyargs, *args.args)], {a.arg for a in args.kwonlyargs}


def defaults(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Any]:
    """The parameters of ``fn`` whose default is a literal constant, with it."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    found: dict[str, Any] = {}
    for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
        value = constant(default)
        if value is not UNKNOWN:
            found[arg.arg] = value
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults):
        value = constant(kw_default) if kw_default is not None else UNKNOWN
        if value is not UNKNOWN:
            found[arg.arg] = value
    return found


def rebinding(fn: ast.FunctionDef | ast.AsyncFunctionDef, names: Iterable[str]) -> dict[str, list[ast.expr] | None]:
    """For each of ``names``: the values assigned to it in ``fn`` (``name = value``), or None when
    it is bound some other way (a loop target, ``with ... as``, ``+=``, ``del``, a walrus, an
    unpacking, ``global``/``nonlocal``, an import, a nested ``def``) or in a nested scope."""
    wanted = set(names)
    result: dict[str, list[ast.expr] | None] = {name: [] for name in wanted}
    todo: list[ast.AST] = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            simple = [t for t in targets if isinstance(t, ast.Name) and t.id in wanted]
            for target in simple:
                values = result[target.id]
                if values is not None:
                    values.append(node.value)
            todo.extend(t for t in targets if t not in simple)
            todo.append(node.value)
            continue
        if isinstance(node, ast.Name) and node.id in wanted and not isinstance(node.ctx, ast.Load):
            result[node.id] = None
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                if name in wanted:
                    result[name] = None
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name in wanted:
                result[node.name] = None
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or alias.name.partition(".")[0]
                if bound in wanted:
                    result[bound] = None
        elif isinstance(node, ast.ExceptHandler) and node.name in wanted:
            result[node.name] = None
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name in wanted:
            result[node.name] = None
        elif isinstance(node, ast.MatchMapping) and node.rest in wanted:
            result[node.rest] = None
        todo.extend(ast.iter_child_nodes(node))
    return result


def values_of(rebound: dict[str, list[ast.expr] | None], bound: dict[str, frozenset[Any]]) -> dict[str, frozenset[Any]]:
    """Every value (see :func:`values`) each parameter of ``bound`` may hold in its function (the values passed, and
    what the assignments to it, ``rebound`` by :func:`rebinding`, make of them); a parameter
    rebound otherwise is left out."""
    known: dict[str, frozenset[Any]] = {}
    for name, passed in bound.items():
        assigned = rebound.get(name, [])
        if assigned is None:
            continue
        if ANY <= passed:
            known[name] = ANY  # whatever it is made into: any value, modes included
            continue
        found = set(passed)
        for _ in range(3):  # a few rounds: ``x = x.strip()`` after ``x = x.lower()``
            grown = set(found)
            for expr in assigned:
                for _, value in found:
                    result = evaluate(expr, {name: value})
                    if result is UNKNOWN or not isinstance(result, CONSTANT_TYPES):
                        grown = set()
                        break
                    grown.add((type(result), result))
                if not grown:
                    break
            if not grown or len(grown) > MAX_VALUES:
                found = set()
                break
            if grown == found:
                break
            found = grown
        if found:
            known[name] = frozenset(found)
    return known


def _combinations(env: dict[str, frozenset[Any]], names: set[str]) -> Iterator[dict[str, Any]] | None:
    used = sorted(name for name in names if name in env)
    count = 1
    for name in used:
        count *= len(env[name])
    if count > MAX_COMBINATIONS:
        return None
    return ({name: value for name, (_, value) in zip(used, combo)}
            for combo in itertools.product(*(sorted(env[n], key=repr) for n in used)))


def skipped(gate: Gates, env: dict[str, frozenset[Any]]) -> bool:
    """A call under ``gate`` cannot run for any of the values ``env`` gives its parameters."""
    names: set[str] = set()
    for _, _, read, _ in gate:
        names.update(read)
    if not names & env.keys():
        return False
    combos = _combinations(env, names)
    if combos is None:
        return False
    for values in combos:
        if not any(truth(test, values) is (not expected) for test, expected, _, _ in gate):
            return False  # with these values every test may hold: the call may run
    return True


def read(found: dict[Position, Gates], calls: Iterable[ast.Call]) -> frozenset[str]:
    """The names read by a test of ``found`` or passed as an argument of a call of ``calls``:
    binding one of them to a constant can change which calls run (here or in a callee)."""
    names: set[str] = set()
    for gate in found.values():
        for _, _, used, _ in gate:
            names.update(used)
    for call in calls:
        for arg in (*call.args, *(kw.value for kw in call.keywords)):
            if isinstance(arg, ast.Name):
                names.add(arg.id)
    return frozenset(names)


class Facts:
    """What binding constants to a function's parameters needs from its tree, worked out once
    per function: where its calls run (``gates``), the names that matters for (``read``), its
    parameters, their constant defaults, and how each is rebound (see :func:`rebinding`)."""

    __slots__ = ("gates", "read", "positional", "keyword_only", "defaults", "rebound")

    def __init__(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, calls: Iterable[ast.Call],
                 found: dict[Position, Gates] | None = None) -> None:
        self.gates = gates(fn) if found is None else found
        self.read = read(self.gates, calls)
        self.positional, self.keyword_only = parameters(fn)
        self.defaults = defaults(fn)
        self.rebound = rebinding(fn, [*self.positional, *self.keyword_only])
