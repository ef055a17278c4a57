"""FPF1xx: calls that block the event loop inside coroutines.

Every ``async def`` runs on the event loop, so one blocking call in it stalls every request the
worker serves.  Sync ``def`` endpoints and dependencies are never flagged: FastAPI runs them in
its threadpool.  Lifespan, startup and shutdown handlers are not flagged either: they run before
the app serves requests or after it stopped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from ..analysis.calls import Blocking, Chain, reported
from ..analysis.context import ModuleContext
from ..analysis.fastapi import OUTSIDE_REQUESTS
from ..analysis.scope import FunctionInfo
from ..diagnostics import Diagnostic
from . import Rule

#: The family can only find something in a file that contains one of these.
NEEDLES = (b"async",)


class _BlockingCall(Rule):
    """Base of the rules that flag one call found in the blocking-call tables."""

    verb: ClassVar[str] = "blocks the event loop"
    advice: ClassVar[str]

    @classmethod
    def message(cls, name: str, where: str) -> str:
        return f"{name} {cls.verb} in {where}; {cls.advice}"


class TimeSleep(_BlockingCall):
    """
    ## What it does
    Flags `time.sleep()` called inside an `async def`.

    ## Why is this bad?
    `time.sleep()` suspends the whole thread. In a coroutine that thread runs the event loop,
    so every other request served by the worker waits for the sleep to end.

    ## Example
    ```python
    @app.get("/retry")
    async def retry():
        time.sleep(1)
    ```

    ## Use instead
    ```python
    @app.get("/retry")
    async def retry():
        await asyncio.sleep(1)
    ```

    ## Fix safety
    The fix (`await asyncio.sleep(...)`) is safe: the coroutine still waits as long, without
    blocking the loop. It is not offered where an `await` cannot go or would change what the code
    does: in a lambda, a generator expression, a class body, a nested def's decorator or default,
    or inside a `with` block that holds a lock; nor where `asyncio` (or the name it would import)
    already means something else in the module.
    """

    code = "FPF101"
    name = "blocking-sleep-in-async"
    summary = "`time.sleep()` in an `async def` blocks the event loop"
    fix = "safe"
    advice = "use await asyncio.sleep(...)"


class BlockingHttp(_BlockingCall):
    """
    ## What it does
    Flags synchronous network and HTTP clients called inside an `async def`: `requests`
    (functions and `Session` methods), `httpx` module functions and `httpx.Client` methods,
    `urllib.request.urlopen`, `urllib3`, `http.client`, blocking `socket` calls, `smtplib`,
    `ftplib`. A socket switched to non-blocking mode (`sock.setblocking(False)` or
    `sock.settimeout(0)` as a statement earlier in the same block, the name bound once and never
    switched otherwise) does not block on `recv`/`send`/`accept`..., nor on `connect`/
    `connect_ex`/`sendto` to a numeric IP address.

    ## Why is this bad?
    A network round trip takes milliseconds to seconds. Made synchronously on the event loop it
    stops every other request of the worker for that long (fastapi#2484, fastapi#1806).

    ## Example
    ```python
    @app.get("/weather")
    async def weather(city: str):
        return requests.get(f"https://api.example.com/{city}").json()
    ```

    ## Use instead
    ```python
    @app.get("/weather")
    async def weather(city: str):
        async with httpx.AsyncClient() as client:
            response = await client.get(f"https://api.example.com/{city}")
        return response.json()
    ```
    or `await run_in_threadpool(requests.get, url)`, or declare the endpoint with `def`.

    ## Fix safety
    The fix wraps the call in `await run_in_threadpool(...)`. It is unsafe: the call then runs
    in another thread, which matters for code that is not thread-safe.
    """

    code = "FPF102"
    name = "blocking-http-in-async"
    summary = "synchronous network/HTTP call in an `async def` blocks the event loop"
    fix = "unsafe"
    advice = "use httpx.AsyncClient or await run_in_threadpool(...)"


class BlockingFileIO(_BlockingCall):
    """
    ## What it does
    Flags file-system I/O inside an `async def`: `open()`, `pathlib.Path` `read_*`/`write_*`/
    `open`/`iterdir`/`glob`/`rglob`, `shutil` copies, moves and archives, `zipfile.ZipFile`,
    `tarfile.open` and the `os` calls that read or sync a directory or file (`os.listdir`,
    `os.scandir`, `os.walk`, `os.sendfile`, `os.fsync`).  Not the single metadata calls
    (`os.makedirs`, `os.remove`, `os.rename`/`os.replace`, `Path.mkdir`, `os.path.exists`): one
    system call each on a local disk, they are negligible where a request makes them.  Nor the
    `open()` of a `with open(path) as f:` block that only hands `f` or its methods to a worker
    thread (`await asyncio.to_thread(f.read, n)`): the reading runs off the loop.

    ## Why is this bad?
    Disk and network-file-system I/O blocks the thread; on a slow or busy disk, or for a large
    file, the event loop and every request it serves stall with it.

    ## Example
    ```python
    @app.get("/report")
    async def report():
        with open("report.csv") as fh:
            return fh.read()
    ```

    ## Use instead
    ```python
    @app.get("/report")
    async def report():
        return await run_in_threadpool(Path("report.csv").read_text)
    ```
    or `anyio.Path` / `aiofiles`, or `FileResponse` for sending a file, or declare the endpoint
    with `def`.

    ## Fix safety
    The fix moves the call into `await run_in_threadpool(...)`. It is unsafe: the I/O then runs
    in another thread.
    """

    code = "FPF103"
    name = "blocking-file-io-in-async"
    summary = "file-system I/O in an `async def` blocks the event loop"
    fix = "unsafe"
    advice = "use await run_in_threadpool(...), anyio.Path or aiofiles"


class BlockingSubprocess(_BlockingCall):
    """
    ## What it does
    Flags `subprocess.run/call/check_call/check_output`, `Popen.wait/communicate`, reading a
    `Popen`'s `stdout`/`stderr` pipe, `os.system`, `os.popen` and `os.waitpid` inside an
    `async def`. Starting a process with `subprocess.Popen(...)` is not flagged (it does not wait
    for the child), nor is `os.waitpid(pid, os.WNOHANG)` (it returns at once). When the call
    spells the program it runs, the message names it: ``subprocess.run() (waiting for
    `ffmpeg`)``.

    ## Why is this bad?
    Waiting for a child process blocks the thread for as long as the child runs: the event loop
    serves nothing meanwhile.

    ## Example
    ```python
    @app.post("/convert")
    async def convert(name: str):
        subprocess.run(["ffmpeg", "-i", name, name + ".mp3"], check=True)
    ```

    ## Use instead
    ```python
    @app.post("/convert")
    async def convert(name: str):
        proc = await asyncio.create_subprocess_exec("ffmpeg", "-i", name, name + ".mp3")
        await proc.wait()
    ```

    ## Fix safety
    The fix wraps the call in `await run_in_threadpool(...)`. It is unsafe: the call then runs
    in another thread.
    """

    code = "FPF104"
    name = "blocking-subprocess-in-async"
    summary = "waiting for a subprocess in an `async def` blocks the event loop"
    fix = "unsafe"
    advice = "use asyncio.create_subprocess_exec(...) or await run_in_threadpool(...)"


class BlockingDatabase(_BlockingCall):
    """
    ## What it does
    Flags synchronous database and cache clients used inside an `async def`: `sqlite3`,
    `psycopg2`, sync `psycopg`, `pymysql`, `MySQLdb`, `mysql.connector`, `pymongo`,
    `redis.Redis`, `boto3` clients and resources, and sync SQLAlchemy `Session`/`Connection`/
    `Engine` methods, including on a parameter annotated with a sync `Session` or injected with
    `Depends(get_db)` where `get_db` yields one.

    ## Why is this bad?
    Every query waits for the database on the event loop's thread. Under load, requests queue
    behind each other's queries and the worker's latency becomes the sum of them.

    ## Example
    ```python
    @app.get("/users/{user_id}")
    async def read_user(user_id: int, db: Session = Depends(get_db)):
        return db.query(User).filter(User.id == user_id).first()
    ```

    ## Use instead
    ```python
    @app.get("/users/{user_id}")
    def read_user(user_id: int, db: Session = Depends(get_db)):
        return db.query(User).filter(User.id == user_id).first()
    ```
    (FastAPI runs `def` endpoints in its threadpool), or an async driver: SQLAlchemy's
    `AsyncSession`, asyncpg, `redis.asyncio`, motor.

    ## Fix safety
    The fix wraps the call in `await run_in_threadpool(...)`. It is unsafe: a session is not
    thread-safe, so concurrent use from several threads must be ruled out first.
    """

    code = "FPF105"
    name = "sync-database-in-async"
    summary = "synchronous database or cache call in an `async def` blocks the event loop"
    fix = "unsafe"
    verb = "is a sync database call that blocks the event loop"
    advice = "use an async driver (AsyncSession, asyncpg, redis.asyncio) or declare it with def"


class CpuBound(_BlockingCall):
    """
    ## What it does
    Flags CPU-bound calls inside an `async def`: `bcrypt.hashpw/checkpw`, passlib
    `CryptContext.hash/verify`, `hashlib.pbkdf2_hmac/scrypt`, argon2 `PasswordHasher.hash/verify`,
    PIL image opening, saving and processing, and pandas `read_*`.

    ## Why is this bad?
    Password hashing is slow on purpose (100 ms and more per call); image and data-frame work
    takes as long as the input is large. On the event loop, nothing else runs meanwhile: a burst
    of logins can make a pod miss its health checks.

    ## Example
    ```python
    @app.post("/login")
    async def login(form: LoginForm):
        if not pwd_context.verify(form.password, user.hashed_password):
            raise HTTPException(401)
    ```

    ## Use instead
    ```python
    @app.post("/login")
    async def login(form: LoginForm):
        if not await run_in_threadpool(pwd_context.verify, form.password, user.hashed_password):
            raise HTTPException(401)
    ```

    ## Fix safety
    The fix wraps the call in `await run_in_threadpool(...)`. It is unsafe: the call then runs
    in another thread.
    """

    code = "FPF106"
    name = "cpu-bound-in-async"
    summary = "CPU-bound call (password hashing, image, data-frame work) in an `async def`"
    fix = "unsafe"
    verb = "is CPU-bound and blocks the event loop"
    advice = "await run_in_threadpool(...)"


class BlockingHelper(Rule):
    """
    ## What it does
    Flags an `async def` calling a sync function that, directly or through further sync helpers
    (any depth), makes a blocking call. The message names the chain, e.g.
    `load_twice() -> load_remote() -> requests.get()`. Helpers of other modules of the project
    are followed too (`load() -> app.services.remote.fetch() -> requests.get()`), by flake8 and
    `fastapi-perf check` alike: a file is checked as part of the files below the nearest
    directory with a `.git` or a `pyproject.toml` (a file with none is a project of its own).
    A coroutine calling a method of an instance of a project class (`service =
    UserService(db); service.get(user_id)`, the method defined in the class or inherited from
    a base of any module) reaches that method's chain; deeper in a chain, a sync helper's own
    instances are not followed.

    A hop that runs once per process is not one: a `@functools.cache`/`@lru_cache` function
    without parameters (settings, a client loaded on first use), and the lazy initialisation of
    a process-wide value (`if _client is None: _client = connect()`, `if _cache: return` before
    filling it, also under a lock). A cache keyed by parameters, a per-instance `self._x`, or a
    closure's variable stays a hop: request data would run it again.

    A call that passes constants follows only the branches those constants can take:
    `get_secret("OPENAI_API_KEY")` is not reported when the helper reads a file only under
    `if name.startswith("oidc/"):`, and the chain shown is the one the constants take. Tests
    are evaluated when they compare a parameter (or a `str` method of it: `startswith`,
    `lower`, `replace`, ...) with constants, through `and`/`or`/`not`, `in`, `is None`, and
    through early returns (`if not name: return`); parameters left out hold their constant
    defaults; a parameter passed on to another helper carries its values there. A test that
    cannot be computed never rules a call out. A `@functools.cache`/`@lru_cache` function
    called with constants only is not a hop either: it runs once per process for them.

    A call in the branch of a test that picks one literal value of a parameter (a *mode*:
    `if name.startswith("oidc/"):`, `if path.startswith("s3://") or path.startswith("gcs://"):`,
    `if fmt in ("pdf", "ps"):`, `if kind == "file":`) is a
    hop only where the caller picks that mode: with a constant, or with a parameter of the
    coroutine (request data may hold any value). `get_secret(provider.api_key_env)` names
    an environment variable and reads no token file. Tests of locals, the branches most
    values take (`if not url.startswith("http"):`), tests of data (a web link's scheme:
    `url.startswith("https://")`, a file name's extension: `name.endswith(".pdf")`) and the
    code after a guard that leaves for the values it rejects (`if mode not in ("auto",
    "high"): return`) still count.

    Like FPF101-FPF106, it is reported only in code an entry point of the project reaches
    (routes, dependencies, middleware, handlers, background and lifespan tasks, app factories,
    and what they name: README, "Configuration"): a coroutine only a CLI, a worker, a notebook
    kernel on its own loop, or nothing at all runs is not the server's. A project without
    entry points (a library) gets every coroutine checked; so does `every-coroutine = true`.
    A coroutine that is no entry point itself is named with one it is reached from:
    `in coroutine `search_brave` (reached from POST /process/web/search)`.

    ## Why is this bad?
    The helper runs on the event loop like any other code of the coroutine, so its blocking call
    stalls the loop just as if it were written inline. Generic linters only see direct calls.

    ## Example
    ```python
    def load_remote(url):
        return requests.get(url).json()

    @app.get("/data")
    async def data():
        return load_remote(URL)
    ```

    ## Use instead
    ```python
    @app.get("/data")
    async def data():
        return await run_in_threadpool(load_remote, URL)
    ```

    ## Fix safety
    The fix wraps the helper call in `await run_in_threadpool(...)`. It is unsafe: the helper
    then runs in another thread.
    """

    code = "FPF107"
    name = "blocking-helper-in-async"
    summary = "an `async def` calls a sync helper that blocks"
    fix = "unsafe"

    @classmethod
    def message(cls, chain: Chain, where: str, here: str | None = None, first: str | None = None) -> str:
        """``here``: the checked module's name (project runs: helpers of other modules are
        qualified with theirs); ``first``: how the call site spells the first helper."""
        first = first or chain.helpers[0].qualname
        return (
            f"{chain.render(here)} blocks the event loop in {where}; "
            f"use await run_in_threadpool({first}, ...) or make the helper async"
        )


class AsyncWithoutAwait(Rule):
    """
    ## What it does
    Flags an `async def` path operation or dependency that never awaits (no `await`,
    `async for` or `async with`) but makes blocking calls. Its blocking calls are reported once,
    here, instead of one by one.

    ## Why is this bad?
    FastAPI runs `def` endpoints and dependencies in its threadpool and `async def` ones on the
    event loop. Declaring a function that only does blocking work `async` moves that work onto
    the loop for nothing: it gains no concurrency and blocks every other request.

    ## Example
    ```python
    @app.get("/items")
    def list_items(db: Session = Depends(get_db)):  # good
        ...

    @app.get("/files")
    async def list_files():  # bad: nothing awaited, os.listdir blocks
        return os.listdir(UPLOAD_DIR)
    ```

    ## Use instead
    ```python
    @app.get("/files")
    def list_files():
        return os.listdir(UPLOAD_DIR)
    ```

    ## Fix safety
    The fix drops `async`, only when nothing in the module awaits the function. It is unsafe:
    the function then runs in a worker thread, and code that calls it directly must not await it.
    """

    code = "FPF110"
    name = "async-endpoint-without-await"
    summary = "an `async def` endpoint or dependency that never awaits but blocks"
    fix = "unsafe"

    @classmethod
    def message(cls, where: str, first: str, line: int | str, kind: str) -> str:
        return (
            f"{where} never awaits but blocks the event loop ({first} at line {line}); "
            f"declare it with def: FastAPI runs sync {kind} in its threadpool"
        )


DIRECT_RULES: dict[str, type[_BlockingCall]] = {
    rule.code: rule for rule in (TimeSleep, BlockingHttp, BlockingFileIO, BlockingSubprocess, BlockingDatabase, CpuBound)
}


#: FPF110 names the costliest of an endpoint's blocking calls: waits on another process or the
#: network first, file system calls last.
COST = {"FPF104": 0, "FPF102": 1, "FPF105": 2, "FPF101": 3, "FPF106": 4, "FPF103": 5}


def _program(call: ast.Call) -> str | None:
    """The program a subprocess call runs, when its first argument spells it: ``["ffmpeg",
    ...]`` or ``"ffmpeg -i x"`` -> ``ffmpeg`` (its last path part, printable, at most 40 characters)."""
    arg = call.args[0] if call.args else next((kw.value for kw in call.keywords if kw.arg in ("args", "command")), None)
    if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts:
        arg = arg.elts[0]
    if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str) or not arg.value.strip():
        return None
    program = arg.value.split()[0].replace("\\", "/").rsplit("/", 1)[-1]
    if not program.isprintable() or "`" in program or len(program) > 40:
        return None
    return program


def _code(item: Blocking | tuple[Chain, object]) -> str:
    return item.code if isinstance(item, Blocking) else item[0].blocking.code


def _findings(ctx: ModuleContext, fn: FunctionInfo) -> list[Blocking | tuple[Chain, object]]:
    found: list[Blocking | tuple[Chain, object]] = []
    index = ctx.blocking
    for call in fn.sorted_calls():
        direct, helper = index.classify(call, fn)
        if direct is not None:
            found.append(direct)
        elif helper is not None:
            chain = index.chain(helper)
            if reported(chain):
                found.append((chain, call))  # type: ignore[arg-type]
    return found


def check(ctx: ModuleContext) -> Iterator[Diagnostic]:
    model = ctx.fastapi
    for fn in ctx.module.all_functions:
        if not fn.is_async:
            continue
        role = model.role(fn)
        if role in OUTSIDE_REQUESTS:
            continue
        found = _findings(ctx, fn)
        if not found:
            continue
        where = model.describe(fn)
        if role in ("endpoint", "dependency") and not fn.has_await:
            worst = min(found, key=lambda item: COST.get(_code(item), len(COST)))  # the first of the costliest
            if isinstance(worst, Blocking):
                name, line = worst.name, str(worst.call.lineno)
            else:
                chain = worst[0]
                name, line = chain.render(ctx.module_name), str(chain.blocking.call.lineno)
                home = chain.modules[-1] if chain.modules else ""
                if home and home != ctx.module_name:
                    line = f"{line} of {home}"
            if len(found) > 1:
                line += f", and {len(found) - 1} more blocking call{'s' if len(found) > 2 else ''}"
            node = fn.node
            diagnostic = AsyncWithoutAwait.diagnostic(
                node, AsyncWithoutAwait.message(where, name, line, "endpoints" if role == "endpoint" else "dependencies")  # type: ignore[attr-defined]
            )
            # span `async def name`, not the whole function
            yield Diagnostic(
                diagnostic.code,
                diagnostic.message,
                node.lineno,
                node.col_offset,
                node.lineno,
                node.col_offset + len("async def ") + len(node.name),
            )
            continue
        for item in found:
            if isinstance(item, Blocking):
                rule = DIRECT_RULES[item.code]
                name = item.name
                if item.code == "FPF104":
                    program = _program(item.call)
                    if program is not None:
                        name = f"{name} (waiting for `{program}`)"  # what waits, when it is spelt out
                yield rule.diagnostic(item.call, rule.message(name, where))
            else:
                chain, call = item
                spelled = ast.unparse(call.func) if chain.crosses(ctx.module_name) else None  # type: ignore[attr-defined]
                yield BlockingHelper.diagnostic(call, BlockingHelper.message(chain, where, ctx.module_name, spelled))
