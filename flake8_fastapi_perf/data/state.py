"""Tables of the FPF5xx rules: caches, containers, tasks, and the words that tell a key's domain.

Names are fully qualified, as the import table resolves them (``functools.lru_cache``).
"""

from __future__ import annotations

#: ``functools`` cache decorators -> their short name.  ``async_lru.alru_cache``, ``aiocache``
#: and ``cachetools`` are deliberately absent: they are bounded or made for coroutines.
CACHE_DECORATORS: dict[str, str] = {
    "functools.cache": "cache",
    "functools.lru_cache": "lru_cache",
}

#: Constructors of mutable containers that grow without bound.  ``collections.deque`` is
#: bounded when given ``maxlen`` (checked separately); weak containers, ``cachetools`` caches,
#: queues with ``maxsize`` are not here.
CONTAINER_FACTORIES: dict[str, str] = {
    "dict": "dict",
    "list": "list",
    "set": "set",
    "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "dict",
    "collections.Counter": "counter",
    "collections.deque": "deque",
    "typing.DefaultDict": "defaultdict",
    "typing.OrderedDict": "dict",
    "typing.Counter": "counter",
    "typing.Deque": "deque",
}

#: Methods that add to a container.  The ``*_GROWTH`` ones add an element on every call,
#: whatever its value (a list, a deque); the others add a key or member, so they only grow the
#: container as far as the key's domain goes.
LIST_GROWTH: frozenset[str] = frozenset(["append", "appendleft", "extend", "extendleft", "insert"])
KEYED_INSERT: frozenset[str] = frozenset(["add", "update", "setdefault", "__setitem__"])
INSERT_METHODS: frozenset[str] = LIST_GROWTH | KEYED_INSERT

#: Methods (called or passed as callbacks, e.g. ``task.add_done_callback(tasks.discard)``)
#: that take something out of a container.
EVICT_METHODS: frozenset[str] = frozenset(
    [
        "pop",
        "popitem",
        "popleft",
        "clear",
        "remove",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "__delitem__",
        "move_to_end",  # an OrderedDict used as an LRU: it is trimmed somewhere
    ]
)

#: Builtins that only read a container passed to them: passing it elsewhere may evict.
READERS: frozenset[str] = frozenset(
    [
        "len",
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "sorted",
        "reversed",
        "iter",
        "next",
        "enumerate",
        "zip",
        "map",
        "filter",
        "any",
        "all",
        "sum",
        "min",
        "max",
        "str",
        "repr",
        "print",
        "bool",
        "isinstance",
        "hasattr",
        "getattr",
        "json.dumps",
        "copy.copy",
        "copy.deepcopy",
    ]
)

# -- what a key (or set member) can be -------------------------------------------------------
# A key is judged by the words of the names it is computed from (``body.session_id`` ->
# body, session, id), following local variables to what they were assigned.

#: Words of values that come from requests and take unboundedly many distinct values, whatever
#: else the key says (``user``, ``session``, ``url``, ``prompt``...).
REQUEST_WORDS: frozenset[str] = frozenset(
    """
    user users username email mail token tokens session sessions sid jti url urls uri href ip
    addr query queries prompt prompts text message messages msg content chat chats conversation
    conversations request requests req upload uploads job jobs run runs trace span websocket ws
    socket sock conn connection connections room document documents doc docs search term input
    inputs payload body question answer response ticket order orders account customer phone
    device nonce otp timestamp ts time now date datetime cookie cookies sender recipient
    visitor ip_address
    """.split()
)

#: Words of identifiers: unbounded, unless a bounded word says what they identify
#: (``_cache[item_id]`` grows, ``_clients[model_id]`` does not).
IDENTITY_WORDS: frozenset[str] = frozenset(
    "id ids uuid guid uid key keys hash digest sha md5 sha256 fingerprint etag path paths file files filename host hostname".split()
)

#: Words that make a parameter an identifier of request data (``item_id``, ``uuid``).
ID_WORDS: frozenset[str] = frozenset("id ids uuid guid uid".split())

#: Words of keys from a small, fixed domain (configuration, kinds of things, code objects).
BOUNDED_WORDS: frozenset[str] = frozenset(
    """
    model models provider providers engine engines backend backends kind kinds type types lang
    language languages locale dialect driver drivers env environment region mode modes version
    versions format formats config configs setting settings tool tools plugin plugins schema
    schemas field fields service services cls class classes method methods status level levels
    category categories role roles permission permissions scope scopes feature features flag
    flags encoding codec tier template templates static asset assets func function functions
    module modules handler handlers endpoint endpoints route routes
    content_type media_type mime_type mimetype token_type message_type event_type file_type
    file_extension extension response_model response_class request_class tenant tenants
    status_code http_method
    """.split()
)

#: Words of keys that identify the worker itself (one per event loop, thread or process).
PER_WORKER_WORDS: frozenset[str] = frozenset(
    ["loop", "thread", "ident", "get_ident", "pid", "getpid", "process", "worker", "current_thread"]
)

#: Calls whose result is a fresh, unique value every time.
UNIQUE_CALLS: frozenset[str] = frozenset(
    [
        "uuid.uuid1",
        "uuid.uuid4",
        "uuid.uuid7",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.perf_counter",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "secrets.token_hex",
        "secrets.token_urlsafe",
        "os.urandom",
        "id",
    ]
)

# -- per-request objects (FPF503) --------------------------------------------------------------

#: Types of objects that live for one request; a cache keyed by them pins every request's one.
PER_REQUEST_TYPES: frozenset[str] = frozenset(
    [
        "fastapi.Request",
        "fastapi.requests.Request",
        "starlette.requests.Request",
        "starlette.requests.HTTPConnection",
        "fastapi.requests.HTTPConnection",
        "fastapi.WebSocket",
        "fastapi.websockets.WebSocket",
        "starlette.websockets.WebSocket",
        "fastapi.UploadFile",
        "fastapi.datastructures.UploadFile",
        "starlette.datastructures.UploadFile",
        "fastapi.BackgroundTasks",
        "fastapi.background.BackgroundTasks",
        "starlette.background.BackgroundTasks",
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
        "sqlalchemy.engine.Connection",
        "sqlalchemy.ext.asyncio.AsyncConnection",
    ]
)

#: Last names of those types, for annotations the resolver cannot follow (string annotations
#: of names imported under ``TYPE_CHECKING`` still resolve; this catches re-exports).
PER_REQUEST_TYPE_NAMES: frozenset[str] = frozenset(
    ["Request", "HTTPConnection", "WebSocket", "UploadFile", "AsyncSession", "BackgroundTasks"]
)

#: Parameter names that, without an annotation, hold a per-request object.
PER_REQUEST_NAMES: frozenset[str] = frozenset(
    ["request", "req", "db", "session", "db_session", "websocket", "upload_file"]
)

#: Annotated types of parameters whose values are a small fixed set (or code objects).
BOUNDED_ANNOTATIONS: frozenset[str] = frozenset(
    [
        "bool",
        "type",
        "typing.Type",
        "typing.Literal",
        "typing_extensions.Literal",
        "typing.Callable",
        "collections.abc.Callable",
        "types.ModuleType",
        "types.FunctionType",
        "enum.Enum",
    ]
)

#: Base classes of enumerations.
ENUM_BASES: frozenset[str] = frozenset(["enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"])

# -- tasks (FPF504) ------------------------------------------------------------------------------

#: Functions that schedule a coroutine and return the task, which only the caller holds.
TASK_SPAWNERS: frozenset[str] = frozenset(["asyncio.create_task", "asyncio.ensure_future", "asyncio.tasks.create_task", "asyncio.tasks.ensure_future"])

#: ``Type.method`` of event loops that do the same.
LOOP_TYPES: frozenset[str] = frozenset(["asyncio.AbstractEventLoop", "asyncio.BaseEventLoop", "asyncio.events.AbstractEventLoop"])
LOOP_SPAWN_METHODS: frozenset[str] = frozenset(["create_task"])

#: Method names of the async clients and primitives of common libraries (httpx, aiohttp,
#: asyncpg, redis.asyncio, motor, SQLAlchemy's AsyncSession, aiofiles, asyncio streams, locks,
#: queues and events).  Awaited on a receiver of unknown type (``self.client.post(...)``), such a
#: call may be the library's, which suspends: it is never settled by the project coroutines of
#: the same name (a project's quiet ``post`` says nothing of ``httpx.AsyncClient.post``).
SUSPENDING_METHOD_NAMES: frozenset[str] = frozenset([
    "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
    "fetch", "fetchrow", "fetchval", "fetchone", "fetchall", "fetchmany", "execute", "executemany",
    "scalar", "scalars", "commit", "rollback", "flush", "refresh", "merge", "close", "aclose",
    "connect", "acquire", "release", "read", "readline", "readexactly", "readuntil", "write",
    "drain", "wait", "wait_for", "sleep", "join", "put_nowait", "get_nowait", "publish",
    "subscribe", "set", "hget", "hset", "incr", "expire", "lpush", "rpush", "lpop", "rpop",
    "find", "find_one", "insert_one", "insert_many", "update_one", "update_many", "delete_one",
    "delete_many", "aggregate", "json", "text", "content", "receive", "receive_text",
    "receive_json", "receive_bytes", "send_text", "send_json", "send_bytes", "upload", "download",
    "call", "invoke", "ainvoke", "run", "start", "stop", "serve",
])
