"""Qualified names and value types from the import table."""

from __future__ import annotations

import ast

import pytest

from flake8_fastapi_perf.analysis.names import Resolver
from flake8_fastapi_perf.analysis.scope import ModuleInfo


def resolve_calls(source: str) -> list[str | None]:
    """The qualified name of every call in the last function of ``source``, in order."""
    module = ModuleInfo(ast.parse(source))
    resolver = Resolver(module)
    fn = module.all_functions[-1]
    return [
        callee.qualified if (callee := resolver.callee(call, fn)) is not None else None
        for call in fn.sorted_calls()
    ]


@pytest.mark.parametrize(
    "header, call, expected",
    [
        ("import time", "time.sleep(1)", "time.sleep"),
        ("from time import sleep as pause", "pause(1)", "time.sleep"),
        ("import requests as r", "r.get(u)", "requests.get"),
        ("import urllib.request", "urllib.request.urlopen(u)", "urllib.request.urlopen"),
        ("import os.path", "os.remove(u)", "os.remove"),
        ("from urllib import request", "request.urlopen(u)", "urllib.request.urlopen"),
        ("import requests", "requests.Session().get(u)", "requests.Session.get"),
        ("", "open(u)", "open"),
        ("from . import helpers", "helpers.load(u)", ".helpers.load"),
        ("from .helpers import load", "load(u)", ".helpers.load"),
        ("import sqlalchemy.orm as orm", "orm.Session(e).execute(u)", "sqlalchemy.orm.Session.execute"),
        ("", "unknown.thing(u)", "unknown.thing"),
    ],
)
def test_qualified_call_names(header: str, call: str, expected: str):
    module = ModuleInfo(ast.parse(f"{header}\nasync def f(u):\n    {call}\n"))
    fn = module.all_functions[-1]
    outermost = fn.node.body[-1].value
    callee = Resolver(module).callee(outermost, fn)
    assert callee is not None and callee.qualified == expected


def test_parameters_shadow_imports():
    assert resolve_calls("import time\nasync def f(time):\n    time.sleep(1)\n") == [None]


@pytest.mark.parametrize("order", ["module-level first", "local first"])
def test_a_callee_is_worked_out_once_per_module_only_where_its_name_is_not_local(order: str):
    """``requests.get`` means the module's import in ``a`` and ``c.inner`` but the parameter in
    ``b`` and ``d``'s client in ``d.inner``, whichever function is asked about first."""
    source = (
        "import httpx\nimport requests\n\n"
        "def a():\n    requests.get(u)\n\n"
        "def b(requests):\n    requests.get(u)\n\n"
        "def c():\n    def inner():\n        requests.get(u)\n\n"
        "def d():\n    requests = httpx.Client()\n    def inner():\n        requests.get(u)\n"
    )
    module = ModuleInfo(ast.parse(source))
    resolver = Resolver(module)
    functions = {fn.qualname if fn.parent is None else f"{fn.parent.qualname}.inner": fn for fn in module.all_functions}
    names = ["a", "b", "c.inner", "d.inner"]
    if order == "local first":
        names.reverse()
    found = {}
    for name in names:
        fn = functions[name]
        callee = resolver.callee(fn.calls[0], fn)
        found[name] = callee.qualified if callee is not None else None
    assert found == {"a": "requests.get", "b": None, "c.inner": "requests.get", "d.inner": "httpx.Client.get"}


def test_module_definitions_shadow_builtins():
    source = "def open(x):\n    return x\nasync def f():\n    open('x')\n"
    assert resolve_calls(source) == ["open"]  # the local helper, not builtins.open
    module = ModuleInfo(ast.parse(source))
    callee = Resolver(module).callee(module.all_functions[-1].calls[0], module.all_functions[-1])
    assert callee is not None and callee.kind == "helper"


@pytest.mark.parametrize(
    "signature",
    [
        "db: Session",
        "db: Optional[Session] = None",
        "db: 'Session'",
        "db: Session | None = None",
        "db: Annotated[Session, Depends(get_db)]",
        "db: SessionDep",
        "db=Depends(get_db)",
        "db: Any = Depends(get_db)",
    ],
)
def test_session_types(signature: str):
    source = (
        "from typing import Annotated, Any, Optional\n"
        "from fastapi import Depends\n"
        "from sqlalchemy.orm import Session, sessionmaker\n"
        "SessionLocal = sessionmaker()\n"
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        yield db\n"
        "    finally:\n"
        "        db.close()\n"
        "SessionDep = Annotated[Session, Depends(get_db)]\n"
        f"async def f({signature}):\n"
        "    db.commit()\n"
    )
    assert resolve_calls(source) == ["sqlalchemy.orm.Session.commit"]


def test_async_session_is_not_a_sync_session():
    source = (
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "async def f(db: AsyncSession):\n"
        "    db.add(1)\n"
    )
    assert resolve_calls(source) == [None]  # a value of a type no table knows: nothing to say
