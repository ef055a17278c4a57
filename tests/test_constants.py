"""Branches ruled out by constant arguments (analysis/constants.py and BlockingIndex.bind)."""

from __future__ import annotations

import ast

import pytest

from flake8_fastapi_perf.analysis import constants
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings


def _test(src: str) -> ast.expr:
    return ast.parse(src, mode="eval").body


@pytest.mark.parametrize(("test", "env", "expected"), [
    ("name.startswith('oidc/')", {"name": "OPENAI_API_KEY"}, False),
    ("name.startswith('oidc/')", {"name": "oidc/file/x"}, True),
    ("name.startswith(('a', 'b'))", {"name": "bx"}, True),
    ("name.lower().endswith('.json')", {"name": "A.JSON"}, True),
    ("name.replace('os.environ/', '') == 'X'", {"name": "os.environ/X"}, True),
    ("name in ('file', 'path')", {"name": "env"}, False),
    ("name not in {'file'}", {"name": "file"}, False),
    ("name is None", {"name": "x"}, False),
    ("name is not None and name", {"name": ""}, False),
    ("not name", {"name": ""}, True),
    ("kind == 'a' or other", {"kind": "a"}, True),
    ("kind == 'a' and other", {"kind": "b"}, False),
    # unknown: never decided
    ("kind == 'a' and other", {"kind": "a"}, None),
    ("name.startswith(prefix)", {"name": "x"}, None),
    ("len(name) > 3", {"name": "abcd"}, None),
    ("name is 'x'", {"name": "x"}, None),  # identity of texts is not known
    ("name.format(1) == 'x'", {"name": "x"}, None),  # not a pure method of the table
    ("name.replace('', 'y' * 5000) == 'x'", {"name": "x"}, None),
    ("name.replace('x', 'y' * 5000) == 'x'", {"name": "xx"}, None),  # too long a text
])
def test_truth(test: str, env: dict, expected: bool | None):
    assert constants.truth(_test(test), env) is expected


def _fn(src: str) -> ast.FunctionDef:
    node = ast.parse(src).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_gates_cover_branches_and_early_returns():
    fn = _fn(
        "def f(name):\n"
        "    if not name:\n"
        "        return None\n"
        "    a()\n"
        "    if name == 'x':\n"
        "        b()\n"
        "    else:\n"
        "        c()\n"
        "    d(lambda: e())\n"
    )
    gates = constants.gates(fn)
    calls = {c.func.id: constants.position(c) for c in ast.walk(fn)
             if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
    assert [(ast.unparse(t), v) for t, v, *_ in gates[calls["a"]]] == [("not name", False)]
    assert [(ast.unparse(t), v) for t, v, *_ in gates[calls["b"]]] == [("not name", False), ("name == 'x'", True)]
    assert [(ast.unparse(t), v) for t, v, *_ in gates[calls["c"]]] == [("not name", False), ("name == 'x'", False)]
    assert calls["e"] not in gates  # a lambda's body runs when it is called, not here
    env = {"name": constants.values("y")}
    assert not constants.skipped(gates[calls["a"]], env)
    assert constants.skipped(gates[calls["b"]], env)
    assert not constants.skipped(gates[calls["c"]], env)
    assert constants.skipped(gates[calls["a"]], {"name": constants.values("")})
    assert not constants.skipped(gates[calls["b"]], {"other": constants.values("y")})  # another name: unknown
    # every value tried: one that may run the call keeps it
    assert not constants.skipped(gates[calls["b"]], {"name": constants.values("x", "y")})


@pytest.mark.parametrize(("body", "values"), [
    ("name = name.removeprefix('env:')", {"env:A", "A"}),
    ("if name.startswith('env:'):\n        name = name[4:]", None),  # a subscript: not followed
    ("for name in names: pass", None),
    ("name += 'x'", None),
    ("with f() as name: pass", None),
    ("(name := g())", None),
    ("global name", None),
    ("import name", None),
    ("def name(): pass", None),
    ("pass", {"env:A"}),
])
def test_values_of_a_rebound_parameter(body: str, values: set | None):
    fn = _fn(f"def f(name, names=()):\n    {body}\n")
    rebound = constants.rebinding(fn, ["name", "names"])
    found = constants.values_of(rebound, {"name": constants.values("env:A")})
    assert found.get("name") == (constants.values(*values) if values is not None else None)


def test_facts_name_what_constants_can_change():
    fn = _fn("def f(self, a, b='x', *, c=None):\n    if a == 1:\n        g(b)\n    h(d=c, e=x.y)\n")
    facts = constants.Facts(fn, [n for n in ast.walk(fn) if isinstance(n, ast.Call)])
    assert facts.positional == ["self", "a", "b"] and facts.keyword_only == {"c"}
    assert facts.defaults == {"b": "x", "c": None}
    assert {"a", "b", "c"} <= facts.read and "x" not in facts.read


def test_defaults():
    fn = _fn("def f(a, b=1, *, c='x', d=None, e=g(), f=-2): pass")
    assert constants.defaults(fn) == {"b": 1, "c": "x", "d": None, "f": -2}


SOURCE = '''
import asyncio
import time
import requests
from fastapi import FastAPI

app = FastAPI()


def fetch(kind, url):
    if kind == "http":
        return requests.get(url)
    time.sleep(1)


def via(kind):
    return fetch(kind, "https://example.com")


@app.get("/")
async def root():
    await asyncio.sleep(0)
    via("http")
    via("sleep")
    fetch("http", "u")
'''


def test_the_chain_shown_is_the_one_the_constants_take():
    result = check_source(SOURCE.encode(), "app.py", Settings())
    messages = sorted((d.line, d.message.partition(" blocks")[0]) for d in result.diagnostics)
    assert messages == [
        (23, "via() -> fetch() -> requests.get()"),
        (24, "via() -> fetch() -> time.sleep()"),
        (25, "fetch() -> requests.get()"),
    ]


def test_recursion_under_constants_terminates():
    source = (
        "import asyncio, time\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "def ping(kind):\n    if kind == 'a':\n        return pong('b')\n    return pong('a')\n"
        "def pong(kind):\n    if kind == 'b':\n        time.sleep(1)\n    return ping(kind)\n"
        "@app.get('/')\nasync def root():\n    await asyncio.sleep(0)\n    ping('a')\n    pong('c')\n"
    )
    result = check_source(source.encode(), "app.py", Settings())
    # pong('c') blocks only through ping('c') -> pong('a') -> ping('a') -> pong('b'): deeper than
    # the binding goes (MAX_BINDING_DEPTH), where ``kind`` is unknown and picks no mode
    assert sorted(d.line for d in result.diagnostics) == [15]
