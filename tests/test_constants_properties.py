"""Differential tests of analysis/constants.py against Python itself.

- Whatever truth the evaluator computes for a test is the truth Python computes (when Python
  does not raise: then no branch runs).
- A call ``skipped`` rules out for some constants never runs when the function is executed with
  them (generated functions of nested ``if``s and early returns; the calls record themselves).

``FASTAPI_PERF_PROPERTY_EXAMPLES`` raises the number of examples (see tests/test_properties.py).
"""

from __future__ import annotations

import ast
import os
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_fastapi_perf.analysis import constants

EXAMPLES = int(os.environ.get("FASTAPI_PERF_PROPERTY_EXAMPLES", "0") or 0) // 4

TEXTS = st.sampled_from(["", "a", "oidc/", "oidc/file/x", "OIDC/", "os.environ/A", "env:a", "x.json", " a "])
VALUES = st.one_of(TEXTS, st.sampled_from([None, True, False, 0, 1, -1, 2.5, b"a"]))


def _literal(value: object) -> str:
    return repr(value)


@st.composite
def _text_expr(draw: st.DrawFn, depth: int = 0) -> str:
    """An expression that may be a text: the parameter, a constant, a str method of one."""
    choice = draw(st.integers(0, 3 if depth < 2 else 1))
    if choice == 0:
        return "p"
    if choice == 1:
        return _literal(draw(VALUES))
    receiver = draw(_text_expr(depth + 1))
    method = draw(st.sampled_from(["lower", "upper", "strip", "removeprefix", "replace", "split", "partition"]))
    if method in ("lower", "upper", "strip"):
        return f"({receiver}).{method}()"
    if method == "replace":
        return f"({receiver}).replace({_literal(draw(TEXTS))}, {_literal(draw(TEXTS))})"
    return f"({receiver}).{method}({_literal(draw(VALUES))})"


@st.composite
def _test(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 6 if depth < 2 else 4))
    left = draw(_text_expr())
    if choice == 0:
        method = draw(st.sampled_from(["startswith", "endswith"]))
        arg = draw(st.one_of(VALUES.map(_literal), st.tuples(TEXTS, TEXTS).map(repr)))
        return f"({left}).{method}({arg})"
    if choice == 1:
        return f"{left} {draw(st.sampled_from(['==', '!=']))} {_literal(draw(VALUES))}"
    if choice == 2:
        return f"{left} {draw(st.sampled_from(['is', 'is not']))} {_literal(draw(st.sampled_from([None, True, False])))}"
    if choice == 3:
        items = draw(st.lists(VALUES, max_size=3))
        return f"{left} {draw(st.sampled_from(['in', 'not in']))} ({', '.join(map(_literal, items))}{',' if len(items) == 1 else ''})"
    if choice == 4:
        return left
    if choice == 5:
        return f"not ({draw(_test(depth + 1))})"
    op = draw(st.sampled_from(["and", "or"]))
    return f"({draw(_test(depth + 1))}) {op} ({draw(_test(depth + 1))})"


def _python(source: str, value: object) -> tuple[bool, object]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ``p is 'a'``: what the test is about
            code = compile(source, "<test>", "eval")
        return True, eval(code, {"__builtins__": {}}, {"p": value})  # noqa: S307 - our own generated text
    except Exception:
        return False, None


@settings(max_examples=EXAMPLES or 300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_test(), VALUES)
def test_the_evaluator_agrees_with_python(source: str, value: object):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expr = ast.parse(source, mode="eval").body
    ok, expected = _python(source, value)
    truth = constants.truth(expr, {"p": value})
    if truth is None or not ok:
        # unknown: never a wrong answer; raising in Python: neither branch runs, any answer is
        # sound for ruling a call out (``p.startswith("") and p`` is False for None, or raises)
        return
    assert truth is bool(expected), f"{source!r} with p={value!r}: Python {expected!r}, evaluator {truth}"


@st.composite
def _function(draw: st.DrawFn) -> tuple[str, int]:
    """``def f(p):`` with nested ``if``/``elif``/``else``, early returns and raises, and calls
    ``mark(i)`` (then the number of calls)."""
    counter = [0]
    lines = ["def f(p, mark):"]

    def block(indent: int, depth: int) -> None:
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.integers(0, 4 if depth < 3 else 1))
            pad = "    " * indent
            if kind <= 1:
                lines.append(f"{pad}mark({counter[0]})")
                counter[0] += 1
            elif kind == 2:
                lines.append(f"{pad}if {draw(_test())}:")
                block(indent + 1, depth + 1)
                if draw(st.booleans()):
                    lines.append(f"{pad}    {draw(st.sampled_from(['return None', 'raise ValueError']))}")
                if draw(st.booleans()):
                    lines.append(f"{pad}else:")
                    block(indent + 1, depth + 1)
            elif kind == 3:
                lines.append(f"{pad}if {draw(_test())}:")
                lines.append(f"{pad}    {draw(st.sampled_from(['return None', 'raise ValueError']))}")
            else:
                lines.append(f"{pad}for _ in (1,):")
                block(indent + 1, depth + 1)

    block(1, 0)
    return "\n".join(lines) + "\n", counter[0]


@settings(max_examples=EXAMPLES or 200, deadline=None, suppress_health_check=list(HealthCheck))
@given(_function(), st.lists(VALUES, min_size=1, max_size=3, unique_by=repr))
def test_a_skipped_call_never_runs(function: tuple[str, int], values: list[object]):
    source, _ = function
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(source)
        code = compile(tree, "<generated>", "exec")
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    gates = constants.gates(node)
    marks = {call.args[0].value: constants.position(call) for call in ast.walk(node)
             if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "mark"}
    namespace: dict = {}
    exec(code, {"__builtins__": {"ValueError": ValueError}}, namespace)  # noqa: S102 - our own generated text
    env = {"p": constants.values(*values)}
    for value in values:
        ran: list[int] = []
        try:
            namespace["f"](value, ran.append)
        except Exception:
            pass
        for index in ran:
            gate = gates.get(marks[index])
            assert gate is None or not constants.skipped(gate, env), (
                f"mark({index}) ran for p={value!r} but was ruled out:\n{source}"
            )
