"""Resources that must be closed, and the factories that make them (FPF4xx).

Names are fully qualified, as the resolver spells them after :data:`..data.blocking.ALIASES`
(``sqlmodel.Session`` is ``sqlalchemy.orm.Session``).  A name of the form ``Type.method`` is a
method called on a value of a known type: a type from the resolver's tables
(``sqlalchemy.orm.sessionmaker``) or one this family infers itself for the async factories the
resolver does not know (``async_sessionmaker``, ``create_async_engine``), see :data:`MAKERS`.
"""

from __future__ import annotations

#: Calls that open something that must be closed: qualified name -> what it is (for messages).
#: A dependency that returns one of these (FPF401) leaves it open: FastAPI only runs cleanup code
#: of ``yield`` dependencies.
CLOSEABLE_CALLS: dict[str, str] = {
    # SQLAlchemy / SQLModel sessions and connections
    "sqlalchemy.orm.Session": "SQLAlchemy session",
    "sqlalchemy.ext.asyncio.AsyncSession": "SQLAlchemy session",
    # DB-API and async driver connections
    "sqlite3.connect": "database connection",
    "psycopg2.connect": "database connection",
    "psycopg.connect": "database connection",
    "psycopg.Connection.connect": "database connection",
    "psycopg.AsyncConnection.connect": "database connection",
    "pymysql.connect": "database connection",
    "MySQLdb.connect": "database connection",
    "mysql.connector.connect": "database connection",
    "asyncpg.connect": "database connection",
    "aiosqlite.connect": "database connection",
    "aiomysql.connect": "database connection",
    "duckdb.connect": "database connection",
    # HTTP clients
    "httpx.Client": "HTTP client",
    "httpx.AsyncClient": "HTTP client",
    "aiohttp.ClientSession": "HTTP client session",
    "requests.Session": "HTTP session",
    "requests.session": "HTTP session",
    # Redis clients (each has its own connection pool)
    "redis.Redis": "Redis client",
    "redis.from_url": "Redis client",
    "redis.Redis.from_url": "Redis client",
    "redis.asyncio.Redis": "Redis client",
    "redis.asyncio.from_url": "Redis client",
    "redis.asyncio.Redis.from_url": "Redis client",
    "aioredis.Redis": "Redis client",
    "aioredis.from_url": "Redis client",
    "aioredis.Redis.from_url": "Redis client",
    # files
    "open": "file",
    "io.open": "file",
    "codecs.open": "file",
    "tempfile.NamedTemporaryFile": "temporary file",
    "tempfile.TemporaryFile": "temporary file",
    "tempfile.SpooledTemporaryFile": "temporary file",
}

#: ``Type.method`` -> what calling it opens.  ``Type.__call__`` is calling an instance
#: (``SessionLocal()`` when ``SessionLocal = sessionmaker(...)``).
CLOSEABLE_METHODS: dict[str, str] = {
    "sqlalchemy.orm.sessionmaker.__call__": "SQLAlchemy session",
    "sqlalchemy.orm.sessionmaker.begin": "SQLAlchemy session",
    "sqlalchemy.ext.asyncio.async_sessionmaker.__call__": "SQLAlchemy session",
    "sqlalchemy.engine.Engine.connect": "database connection",
    "sqlalchemy.engine.Engine.raw_connection": "database connection",
    "sqlalchemy.ext.asyncio.AsyncEngine.connect": "database connection",
    "sqlalchemy.ext.asyncio.AsyncEngine.raw_connection": "database connection",
}

#: Calls that make a factory of sessions or connections: qualified name -> the type this family
#: gives the result.  The resolver's own tables know the sync ones; these add the async ones.
MAKERS: dict[str, str] = {
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.async_sessionmaker",
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.ext.asyncio.create_async_engine": "sqlalchemy.ext.asyncio.AsyncEngine",
}

#: Types whose instances are session factories: ``Depends(SessionLocal)`` makes a session that
#: nothing closes (FPF403).
SESSION_FACTORY_TYPES: frozenset[str] = frozenset(
    ["sqlalchemy.orm.sessionmaker", "sqlalchemy.ext.asyncio.async_sessionmaker"]
)

#: Names that, imported from another module of the project (``from .database import
#: SessionLocal``), are taken to be a ``sessionmaker``: the names the FastAPI documentation,
#: fastapi-users and the project templates give it, and that nothing else is given.  Only used
#: for a name that is imported (a module-level assignment or def of this module is analysed
#: instead), and for FPF401 only when it is called without positional arguments (as a
#: sessionmaker is).
SESSION_FACTORY_NAMES: frozenset[str] = frozenset(
    ["SessionLocal", "AsyncSessionLocal", "async_session_maker", "async_session_local", "SessionMaker", "AsyncSessionMaker"]
)

#: More names taken to be a sessionmaker when imported and *called* without positional arguments
#: in a dependency that returns the result (FPF401): whatever ``async_session`` is (an
#: ``async_sessionmaker``, a generator or an ``@asynccontextmanager``), returning what calling it
#: gives from a dependency is wrong.  Not used for ``Depends(async_session)`` (FPF403): a yield
#: dependency is often given that name, and ``Depends`` on it is right.  Lower-case names such as
#: ``session_factory`` are not used at all: as often a function that returns the factory itself.
SESSION_FACTORY_CALL_NAMES: frozenset[str] = SESSION_FACTORY_NAMES | frozenset(["async_session"])

#: Callables that ``Depends(X)`` must not name directly: FastAPI calls them per request and
#: nothing ever closes what they return (FPF403).
DIRECT_FACTORIES: dict[str, str] = {
    "sqlalchemy.orm.Session": "SQLAlchemy session",
    "sqlalchemy.ext.asyncio.AsyncSession": "SQLAlchemy session",
    "httpx.Client": "HTTP client",
    "httpx.AsyncClient": "HTTP client",
    "aiohttp.ClientSession": "HTTP client session",
    "requests.Session": "HTTP session",
    "redis.Redis": "Redis client",
    "redis.asyncio.Redis": "Redis client",
    "aioredis.Redis": "Redis client",
    "sqlite3.connect": "database connection",
    "psycopg2.connect": "database connection",
    "psycopg.connect": "database connection",
    "pymysql.connect": "database connection",
    "asyncpg.connect": "database connection",
    "aiosqlite.connect": "database connection",
}

#: Clients, engines and pools that are meant to be built once and shared (FPF404): qualified
#: name -> what it is.  Built per request they cost a new connection pool (TCP and TLS
#: handshakes, a database login) every time, and leak it unless closed.
PER_REQUEST: dict[str, str] = {
    "httpx.Client": "HTTP client",
    "httpx.AsyncClient": "HTTP client",
    "aiohttp.ClientSession": "HTTP client session",
    "sqlalchemy.create_engine": "database engine",
    "sqlalchemy.ext.asyncio.create_async_engine": "database engine",
    "redis.Redis": "Redis client",
    "redis.from_url": "Redis client",
    "redis.Redis.from_url": "Redis client",
    "redis.asyncio.Redis": "Redis client",
    "redis.asyncio.from_url": "Redis client",
    "redis.asyncio.Redis.from_url": "Redis client",
    "aioredis.Redis": "Redis client",
    "aioredis.from_url": "Redis client",
    "aioredis.Redis.from_url": "Redis client",
    "asyncpg.create_pool": "connection pool",
    "pymongo.MongoClient": "MongoDB client",
    "motor.motor_asyncio.AsyncIOMotorClient": "MongoDB client",
}

#: Keywords that give a client a connection pool made elsewhere: the client then owns no pool of
#: its own, and building it per request costs nothing (FPF404).
SHARED_POOL_KEYWORDS: frozenset[str] = frozenset(["transport", "connector", "connection_pool", "pool"])

#: Other spellings -> the names above (on top of the resolver's own aliases).
ALIASES: dict[str, str] = {
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "redis.asyncio.client.Redis": "redis.asyncio.Redis",
    "redis.asyncio.client.Redis.from_url": "redis.asyncio.Redis.from_url",
    "redis.asyncio.StrictRedis": "redis.asyncio.Redis",
    "redis.asyncio.StrictRedis.from_url": "redis.asyncio.Redis.from_url",
    "aioredis.client.Redis": "aioredis.Redis",
    "aioredis.StrictRedis": "aioredis.Redis",
    "sqlalchemy.ext.asyncio.engine.create_async_engine": "sqlalchemy.ext.asyncio.create_async_engine",
    "sqlmodel.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": "sqlalchemy.ext.asyncio.async_sessionmaker",
    "sqlalchemy.ext.asyncio.engine.AsyncEngine": "sqlalchemy.ext.asyncio.AsyncEngine",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "asyncpg.pool.create_pool": "asyncpg.create_pool",
}

#: Method names that release a resource (FPF402 cleanup after ``yield``, FPF404 closing in a
#: ``finally``).
CLOSE_METHODS: frozenset[str] = frozenset(
    ["close", "aclose", "dispose", "release", "disconnect", "shutdown", "terminate", "putconn", "remove"]
)

#: Of :data:`CLOSE_METHODS`, those that only release something when called without arguments
#: (``scoped_session.remove()``, ``lock.release()``; ``items.remove(x)`` is no cleanup).
CLOSE_METHODS_WITHOUT_ARGS: frozenset[str] = frozenset(["remove"])

#: Functions that delete what a dependency created (temporary files and directories).
CLEANUP_CALLS: frozenset[str] = frozenset(["os.remove", "os.unlink", "shutil.rmtree"])

#: Decorators that make a function return the same object every call: what such a function
#: returns is a shared singleton, not a per-request resource (``@lru_cache def get_client()``).
CACHING_DECORATORS: frozenset[str] = frozenset(
    ["functools.lru_cache", "functools.cache", "lru_cache", "cache", "cached", "alru_cache", "async_lru.alru_cache"]
)

#: Calls that take over a context manager (an exit stack closes it later).
ENTER_CONTEXT: frozenset[str] = frozenset(["enter_context", "enter_async_context", "closing", "aclosing"])
