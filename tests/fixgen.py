"""Hand-written generators of modules for the fixers' property tests (tests/test_fix_safety.py).

Each scenario builds a small FastAPI module around one shape a fixer rewrites (``time.sleep`` in
a coroutine, an offloadable call, a whole upload read, a middleware, a dependency, a cache, a
dropped task, a whole-file response), then draws:

* where the flagged call sits: a plain statement, a branch, a loop, ``try``/``finally``, a
  ``with`` (a lock among them), a lambda, a generator expression, a comprehension, a class body,
  a nested def's decorator or default, an f-string, an operand;
* how the module imports what the fix needs (``import asyncio``, ``import asyncio as aio``,
  ``from asyncio import sleep``, none ...);
* one or two *name traps*: a name the fix may want (``asyncio``, ``sleep``, ``run_in_threadpool``,
  ``Path``, ``chunk``, ``_background_tasks``, ``set``, ``FileResponse``, ``lru_cache``,
  ``Iterator`` ...) taken in one of many ways: a module variable, a parameter, a local, a loop
  target, a def or class, an import only under ``if TYPE_CHECKING:`` or only inside another
  function, a ``global`` assignment, ``del``, ``with ... as``, ``except ... as``, a walrus, a
  star import, an unbound reference in another function, a class attribute.

The properties (compiles, idempotent, no name changes meaning) are asserted by the tests; this
module only writes code.
"""

from __future__ import annotations

import ast

from hypothesis import strategies as st

from flake8_fastapi_perf.fixes.safety import Intent, parse

#: The names fixes may introduce or rely on, and what each must mean where a fix uses it.
#: name -> the dotted names it may import (empty: a builtin / a module variable / a new local).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "asyncio": ("asyncio",),
    "aio": ("asyncio",),
    "sleep": ("asyncio.sleep",),
    "run_in_threadpool": ("fastapi.concurrency.run_in_threadpool", "starlette.concurrency.run_in_threadpool"),
    "offload": ("fastapi.concurrency.run_in_threadpool", "starlette.concurrency.run_in_threadpool"),
    "Path": ("pathlib.Path",),
    "pathlib": ("pathlib",),
    "shutil": ("shutil",),
    "FileResponse": ("fastapi.responses.FileResponse", "starlette.responses.FileResponse"),
    "lru_cache": ("functools.lru_cache",),
    "functools": ("functools",),
    "Iterator": ("collections.abc.Iterator", "typing.Iterator"),
    "AsyncIterator": ("collections.abc.AsyncIterator", "typing.AsyncIterator"),
    # modules the names above may be spelt through
    "ft": ("functools",),
    "responses": ("fastapi.responses", "starlette.responses"),
    "concurrency": ("fastapi.concurrency", "starlette.concurrency"),
    "fastapi": ("fastapi",),
    "typing": ("typing",),
    "collections": ("collections",),
}
#: Names a fix may add as module variables (the task set) and builtins it relies on.
VARIABLES = tuple(f"{base}{f'_{i}' if i else ''}" for base in ("_background_tasks", "task") for i in range(20))
BUILTINS = ("set", "list", "sorted", "tuple", "frozenset")


def intents_for(new_text: str) -> dict[str, Intent]:
    """What each name a fix may use must mean (``VOCABULARY``, ``VARIABLES``, ``BUILTINS``): the
    oracle's side of :func:`flake8_fastapi_perf.fixes.safety.verify`, independent of what the
    fixers declare."""
    tree = parse(new_text)
    bound: dict[str, str] = {}
    if tree is not None:
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.partition(".")[0]
                    bound[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    intents = {}
    for name, targets in VOCABULARY.items():
        intents[name] = Intent("import", bound[name] if bound.get(name) in targets else targets[0])
    known = {target for targets in VOCABULARY.values() for target in targets}
    for name, target in bound.items():  # aliases: `from pathlib import Path as P`, `import shutil as sh`
        if name not in intents and target in known:
            intents[name] = Intent("import", target)
    intents.update({name: Intent("variable") for name in VARIABLES})
    intents.update({name: Intent("builtin") for name in BUILTINS})
    return intents


TRAP_NAMES = (
    "asyncio", "aio", "sleep", "time", "pause", "run_in_threadpool", "offload", "Path", "pathlib", "shutil",
    "chunk", "chunk_", "upload_chunk", "_background_tasks", "task", "set", "FileResponse", "lru_cache",
    "functools", "Iterator", "session", "requests", "func", "data", "out", "sorted", "list",
)
TRAP_KINDS = (
    "module_var", "param", "local_before", "local_after", "loop", "def", "class", "type_checking",
    "import_in_function", "global", "del", "with_as", "except_as", "walrus", "comprehension",
    "free_reference", "nested_reference", "star", "class_attr", "annotation", "import_alias",
)
CONTEXTS = (
    "plain", "if", "else", "for", "while", "try", "finally", "except", "with", "with_lock", "lambda",
    "genexp", "listcomp", "dictcomp", "class_body", "decorator", "default", "fstring", "operand",
    "return", "boolop", "await_arg", "nested_def", "async_with", "async_for",
)


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def place(expr: str, context: str, tmp: str = "_r") -> str:
    """Statements (unindented) running ``expr`` in ``context``."""
    if context == "plain":
        return f"{expr}"
    if context == "if":
        return f"if flag:\n    {expr}"
    if context == "else":
        return f"if not flag:\n    pass\nelse:\n    {expr}"
    if context == "for":
        return f"for _i in range(2):\n    {expr}"
    if context == "while":
        return f"while flag:\n    {expr}\n    break"
    if context == "try":
        return f"try:\n    {expr}\nexcept ValueError:\n    pass"
    if context == "finally":
        return f"try:\n    pass\nfinally:\n    {expr}"
    if context == "except":
        return f"try:\n    pass\nexcept Exception:\n    {expr}"
    if context == "with":
        return f"with open(__file__) as _fh:\n    {expr}"
    if context == "with_lock":
        return f"with _lock:\n    {expr}"
    if context == "lambda":
        return f"{tmp} = lambda: {expr}\n{tmp}()"
    if context == "genexp":
        return f"{tmp} = sum(1 for _x in range(2) if ({expr}) or True)"
    if context == "listcomp":
        return f"{tmp} = [({expr}) for _x in range(2)]"
    if context == "dictcomp":
        return f"{tmp} = {{_x: ({expr}) for _x in range(2)}}"
    if context == "class_body":
        return f"class _K:\n    {tmp} = {expr}"
    if context == "decorator":
        return f"def _deco(f):\n    return f\n\n@_deco({expr})\ndef _inner():\n    pass"
    if context == "default":
        return f"def _inner(_d={expr}):\n    return _d"
    if context == "fstring":
        return f"{tmp} = f\"{{{expr}}}\""
    if context == "operand":
        return f"{tmp} = ({expr}) or 1"
    if context == "return":
        return f"return {expr}"
    if context == "boolop":
        return f"{tmp} = flag and ({expr})"
    if context == "await_arg":
        return f"await _other({expr})"
    if context == "nested_def":
        return f"def _inner():\n    return {expr}\n\n_inner()"
    if context == "async_with":
        return f"async with _Ctx():\n    {expr}"
    if context == "async_for":
        return f"async for _y in _agen():\n    {expr}"
    raise ValueError(context)


def trap(name: str, kind: str) -> tuple[str, str, str, str]:
    """(module-level code, an extra parameter, code at the start of the endpoint, a wrapper) that
    take ``name`` in the way ``kind`` says.  The wrapper, when not empty, is a format string with
    ``{body}`` for the endpoint's statements."""
    module, param, local, wrapper = "", "", "", ""
    if kind == "module_var":
        module = f"{name} = None"
    elif kind == "param":
        param = f"{name}=None"
    elif kind == "local_before":
        local = f"{name} = None"
    elif kind == "local_after":
        wrapper = "{body}\n" + f"{name} = None"
    elif kind == "loop":
        wrapper = f"for {name} in range(1):\n" + "{indented}"
    elif kind == "def":
        module = f"def {name}(*a, **k):\n    return None"
    elif kind == "class":
        module = f"class {name}:\n    pass"
    elif kind == "type_checking":
        module = f"if TYPE_CHECKING:\n    {_an_import(name)}"
    elif kind == "import_in_function":
        module = f"def _setup():\n    {_an_import(name)}\n    return {name}"
    elif kind == "global":
        module = f"def _rebind():\n    global {name}\n    {name} = None"
    elif kind == "del":
        module = f"{name} = None\ndel {name}"
    elif kind == "with_as":
        local = f"with open(__file__) as {name}:\n    pass"
    elif kind == "except_as":
        local = f"try:\n    pass\nexcept Exception as {name}:\n    pass"
    elif kind == "walrus":
        local = f"({name} := None)"
    elif kind == "comprehension":
        local = f"_c = [{name} for {name} in range(1)]"
    elif kind == "free_reference":
        module = f"def _probe():\n    return {name}"
    elif kind == "nested_reference":
        local = f"def _peek():\n    return {name}"
    elif kind == "star":
        module = "from _somewhere import *"
    elif kind == "class_attr":
        module = f"class _Holder:\n    {name} = None"
    elif kind == "annotation":
        module = f"_annotated: {name}"
    elif kind == "import_alias":
        module = f"import os as {name}"
    return module, param, local, wrapper


def _an_import(name: str) -> str:
    known = {
        "asyncio": "import asyncio", "aio": "import asyncio as aio", "sleep": "from asyncio import sleep",
        "time": "import time", "pause": "from time import sleep as pause",
        "run_in_threadpool": "from fastapi.concurrency import run_in_threadpool",
        "offload": "from fastapi.concurrency import run_in_threadpool as offload",
        "Path": "from pathlib import Path", "pathlib": "import pathlib", "shutil": "import shutil",
        "FileResponse": "from fastapi.responses import FileResponse", "lru_cache": "from functools import lru_cache",
        "functools": "import functools", "Iterator": "from collections.abc import Iterator",
        "requests": "import requests",
    }
    return known.get(name, f"from _elsewhere import {name}")


HELPERS = '''
class _Ctx:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


async def _agen():
    yield 1


async def _other(*args):
    return args
'''


def module(header: list[str], traps: list[tuple[str, str]], endpoint: str, params: list[str],
           body: str, decorator: str = '@app.get("/")', extra: str = "", is_async: bool = True) -> str:
    """A whole module: imports, traps, the endpoint with ``body``, helpers."""
    top: list[str] = []
    locals_: list[str] = []
    wrappers: list[str] = []
    for name, kind in traps:
        mod, param, local, wrapper = trap(name, kind)
        if mod:
            top.append(mod)
        if param:
            params.append(param)
        if local:
            locals_.append(local)
        if wrapper:
            wrappers.append(wrapper)
    statements = "\n".join([*locals_, body])
    for wrapper in wrappers:
        statements = wrapper.replace("{indented}", _indent(statements)).replace("{body}", statements)
    lines = [
        "from typing import TYPE_CHECKING",
        "import threading",
        *header,
        "",
        "app = FastAPI()",
        "flag = True",
        "_lock = threading.Lock()",
        *top,
        "",
        extra,
        "",
        decorator,
        f"{'async ' if is_async else ''}def {endpoint}({', '.join(params)}):",
        _indent(statements),
        HELPERS,
    ]
    return "\n".join(lines) + "\n"


_traps = st.lists(st.tuples(st.sampled_from(TRAP_NAMES), st.sampled_from(TRAP_KINDS)), max_size=2)


@st.composite
def sleep_module(draw) -> str:
    """``time.sleep`` (FPF101: await asyncio.sleep) in a coroutine."""
    time_import, call = draw(st.sampled_from([
        ("import time", "time.sleep(0)"), ("from time import sleep", "sleep(0)"),
        ("from time import sleep as pause", "pause(0)"), ("import time as t", "t.sleep(0)"),
    ]))
    asyncio_import = draw(st.sampled_from(["", "import asyncio", "import asyncio as aio", "from asyncio import sleep"]))
    if asyncio_import == "from asyncio import sleep" and time_import == "from time import sleep":
        asyncio_import = ""
    awaits = draw(st.booleans())  # without an await, FPF110 (drop async) is the fix
    body = place(call, draw(st.sampled_from(CONTEXTS)))
    if awaits:
        body += "\nawait _other()"
    header = [time_import, asyncio_import, "from fastapi import FastAPI"]
    return module(header, draw(_traps), "index", [], body)


@st.composite
def offload_module(draw) -> str:
    """FPF102-FPF107: calls moved to the threadpool (unsafe)."""
    header, expr, extra = draw(st.sampled_from([
        (["import requests"], "requests.get('https://example.com', timeout=5)", ""),
        (["import subprocess"], "subprocess.run(['true'], check=False)", ""),
        ([], "open('/srv/data.txt').read()", ""),
        (["from pathlib import Path"], "Path(__file__).read_text()", ""),
        (["import pathlib"], "sorted(pathlib.Path('.').glob('*'))", ""),
        (["import sqlite3"], "sqlite3.connect(':memory:').execute('select 1').fetchall()", ""),
        (["import bcrypt"], "bcrypt.hashpw(b'pw', bcrypt.gensalt())", ""),
        (["import requests"], "_fetch('https://example.com')",
         "def _fetch(url):\n    return requests.get(url, timeout=5)\n"),
        (["import requests"], "requests.get(url='https://example.com', func=1)", ""),
    ]))
    framework = draw(st.sampled_from([
        "from fastapi import FastAPI", "from fastapi import FastAPI\nfrom fastapi.concurrency import run_in_threadpool",
        "from fastapi import FastAPI\nfrom fastapi.concurrency import run_in_threadpool as offload",
        "from fastapi import FastAPI\nimport fastapi.concurrency",
    ]))
    context = draw(st.sampled_from(CONTEXTS))
    if draw(st.booleans()):
        body = place(expr, context)
    else:  # the read shape of open(): with open(p) as fh: data = fh.read()
        body = place("None", context) + "\nwith open('/srv/data.txt') as fh:\n    data = fh.read()"
    body += "\nawait _other()"
    return module([*header, framework], draw(_traps), "index", [], body, extra=extra)


@st.composite
def upload_module(draw) -> str:
    """FPF201-FPF203: whole uploads and bodies."""
    shape = draw(st.sampled_from(["copy", "direct", "sync_copy", "limit", "body", "async_file"]))
    params = ["file: UploadFile", "request: Request"]
    if shape == "copy":
        body = "data = await file.read()\nwith open('/tmp/x.bin', 'wb') as out:\n    out.write(data)"
    elif shape == "direct":
        body = "with open('/tmp/x.bin', 'wb') as out:\n    out.write(await file.read())"
    elif shape == "sync_copy":
        body = "payload = file.file.read()\nwith open('/tmp/x.bin', 'wb') as out:\n    out.write(payload)"
    elif shape == "limit":
        body = "data = await file.read()\nif len(data) > LIMIT:\n    raise HTTPException(413)\nreturn len(data)"
    elif shape == "body":
        body = "body = await request.body()\nwith open('/tmp/x.bin', 'wb') as out:\n    out.write(body)"
    else:
        body = "async with aiofiles.open('/tmp/x.bin', 'wb') as out:\n    await out.write(await file.read())"
    context = draw(st.sampled_from(["plain", "if", "for", "try", "with", "with_lock", "class_body", "nested_def"]))
    if context != "plain":
        # the whole shape nested in a block of the context's kind
        wrap = {"if": "if flag:\n{b}", "for": "for _i in range(1):\n{b}", "try": "try:\n{b}\nexcept ValueError:\n    pass",
                "with": "with open(__file__) as _fh:\n{b}", "with_lock": "with _lock:\n{b}",
                "class_body": "class _K:\n{b}", "nested_def": "def _inner():\n{b}"}[context]
        body = wrap.replace("{b}", _indent(body.replace("return len(data)", "pass")))
    header = ["import shutil" if draw(st.booleans()) else "", "import aiofiles",
              "from fastapi import FastAPI, HTTPException, Request, UploadFile"]
    return module(header, draw(_traps), "upload", params, body, decorator='@app.post("/")',
                  extra="LIMIT = 1024 * 1024")


@st.composite
def middleware_module(draw) -> str:
    """FPF301-FPF303: middleware that must be async and await call_next."""
    sync = draw(st.booleans())
    context = draw(st.sampled_from(CONTEXTS))
    body = place("call_next(request)", context, tmp="response") + "\nreturn call_next(request)"
    header = ["from fastapi import FastAPI, Request", "from starlette.middleware.base import BaseHTTPMiddleware"]
    if draw(st.booleans()):
        return module(header, draw(_traps), "timing", ["request: Request", "call_next"], body,
                      decorator='@app.middleware("http")', is_async=not sync)
    extra = (f"class Timing(BaseHTTPMiddleware):\n    {'' if sync else 'async '}def dispatch(self, request, call_next):\n"
             + _indent(_indent(body)))
    return module(header, draw(_traps), "index", [], "await _other()", extra=extra)


@st.composite
def dependency_module(draw) -> str:
    """FPF401/FPF402: dependencies that hand out a resource."""
    returns = draw(st.sampled_from(["", " -> Session", " -> 'Session'"]))
    shape = draw(st.sampled_from(["return_call", "return_name", "yield_close"]))
    if shape == "return_call":
        body = "return SessionLocal()"
    elif shape == "return_name":
        body = "db = SessionLocal()\nreturn db"
    else:
        body = "db = SessionLocal()\nyield db\ndb.close()"
        returns = ""
    header = [draw(st.sampled_from(["", "from typing import Iterator", "import typing", "import collections.abc"])),
              "from fastapi import Depends, FastAPI", "from sqlalchemy.orm import Session, sessionmaker"]
    extra = (f"SessionLocal = sessionmaker()\n\n\ndef get_db(){returns}:\n" + _indent(body)
             + "\n\n\n@app.get('/items')\ndef items(db: Session = Depends(get_db)):\n    return db")
    return module(header, draw(_traps), "index", [], "await _other()", extra=extra)


@st.composite
def cache_module(draw) -> str:
    """FPF502: unbounded caches called with request data."""
    header, decorator = draw(st.sampled_from([
        ("from functools import cache", "@cache"), ("import functools", "@functools.cache"),
        ("from functools import lru_cache", "@lru_cache(maxsize=None)"),
        ("from functools import lru_cache", "@lru_cache(None)"), ("import functools as ft", "@ft.cache"),
        ("from functools import cache, lru_cache", "@cache"),
    ]))
    extra = f"{decorator}\ndef profile(user_id: int) -> dict:\n    return {{'id': user_id}}"
    body = "return profile(user_id)"
    return module([header, "from fastapi import FastAPI"], draw(_traps), "user", ["user_id: int"], body,
                  decorator='@app.get("/users/{user_id}")', extra=extra, is_async=False)


@st.composite
def task_module(draw) -> str:
    """FPF504: a dropped create_task."""
    spawn = draw(st.sampled_from(["asyncio.create_task(_other())", "asyncio.ensure_future(_other())",
                                  "asyncio.create_task(_other()).add_done_callback(print)"]))
    existing = draw(st.sampled_from(["", "_background_tasks = set()", "_background_tasks: set = set()"]))
    context = draw(st.sampled_from(["plain", "if", "for", "try", "with", "lambda", "class_body", "nested_def"]))
    body = place(spawn, context) + "\nawait _other()"
    header = ["import asyncio", "from fastapi import FastAPI"]
    at_module = draw(st.booleans())
    extra = existing + (f"\n{spawn}" if at_module else "")
    return module(header, draw(_traps), "start", [], body, decorator='@app.post("/")', extra=extra)


@st.composite
def file_response_module(draw) -> str:
    """FPF205: whole files behind StreamingResponse/Response (unsafe: FileResponse)."""
    expr = draw(st.sampled_from([
        "StreamingResponse(io.BytesIO(path.read_bytes()), media_type='application/pdf')",
        "Response(content=path.read_bytes(), media_type='application/pdf')",
        "StreamingResponse(iter([path.read_bytes()]))",
    ]))
    header = ["import io", "from pathlib import Path", "from fastapi import FastAPI",
              "from fastapi.responses import Response, StreamingResponse",
              draw(st.sampled_from(["", "from fastapi import responses", "from fastapi.responses import FileResponse"]))]
    body = f"path = Path('/srv/report.pdf')\nreturn {expr}"
    return module(header, draw(_traps), "report", [], body, decorator='@app.get("/report")', is_async=False)


SCENARIOS = (sleep_module, offload_module, upload_module, middleware_module, dependency_module, cache_module,
             task_module, file_response_module)


def modules() -> st.SearchStrategy[str]:
    """Any scenario's module."""
    return st.one_of(*(scenario() for scenario in SCENARIOS))
