"""FPF401: a dependency that creates a session, connection, client or file and returns it."""
import sqlite3
from functools import lru_cache
from typing import Annotated

import aiohttp
import httpx
import redis
from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from .database import AsyncSessionLocal as ImportedAsyncSessionLocal
from .database import SessionLocal as ImportedSessionLocal
from .database import async_session as imported_async_session
from .database import get_session_factory, make_client, session_factory

engine = create_engine("postgresql://app@db/app", pool_size=5)
SessionLocal = sessionmaker(bind=engine, autoflush=False)
async_engine = create_async_engine("postgresql+asyncpg://app@db/app")
async_session = async_sessionmaker(async_engine, expire_on_commit=False)
api_key = APIKeyHeader(name="X-API-Key")
redis_pool = redis.ConnectionPool(host="cache")

app = FastAPI()


# ---- findings -----------------------------------------------------------------------------


def get_db():
    db = SessionLocal()
    return db  # error: FPF401


def get_db_direct():
    return SessionLocal()  # error: FPF401


def get_db_through_alias():
    session = SessionLocal()
    db = session
    return db  # error: FPF401


def get_plain_session():
    return Session(engine)  # error: FPF401


async def get_async_db():
    return async_session()  # error: FPF401


async def get_imported_async_db():
    session = ImportedAsyncSessionLocal()
    return session  # error: FPF401


def get_imported_db():
    return ImportedSessionLocal()  # error: FPF401


async def get_imported_async_session():
    return imported_async_session()  # error: FPF401


def get_connection():
    return engine.connect()  # error: FPF401


def get_sqlite():
    conn = sqlite3.connect("app.db", check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn  # error: FPF401


async def get_http():
    return httpx.AsyncClient(base_url="https://api.example.com")  # error: FPF401


async def get_aiohttp():
    session = aiohttp.ClientSession()
    return session  # error: FPF401


def get_cache():
    return redis.Redis(host="cache", port=6379)  # error: FPF401


def get_audit_log():
    return open("/var/log/app/audit.log", "a")  # error: FPF401


def _new_session():
    return SessionLocal()


def get_db_via_helper():
    return _new_session()  # error: FPF401


def get_db_early_close(request: Request):
    db = SessionLocal()
    if request.headers.get("x-dry-run"):
        db.close()  # closed on one path only
        return None
    return db  # error: FPF401


@app.get("/users")
def list_users(
    db: Session = Depends(get_db),
    direct: Session = Depends(get_db_direct),
    aliased: Session = Depends(get_db_through_alias),
    plain: Session = Depends(get_plain_session),
    imported: Session = Depends(get_imported_db),
    via_helper: Session = Depends(get_db_via_helper),
    early: Session = Depends(get_db_early_close),
):
    return []


@app.get("/reports")
async def reports(
    session: Annotated[AsyncSession, Depends(get_async_db)],
    imported: Annotated[AsyncSession, Depends(get_imported_async_db)],
    imported_lower: Annotated[AsyncSession, Depends(get_imported_async_session)],
    http: Annotated[httpx.AsyncClient, Depends(get_http)],
    aio: Annotated[aiohttp.ClientSession, Security(get_aiohttp)],
):
    return []


@app.get("/raw", dependencies=[Depends(get_connection), Depends(get_sqlite), Depends(get_cache), Depends(get_audit_log)])
def raw():
    return {}


# ---- silent look-alikes -------------------------------------------------------------------


def make_session():
    # not a dependency: a factory for scripts, the caller closes it
    return SessionLocal()


def open_report(path: str):
    return open(path)


# the FastAPI documentation's dependency
def get_db_docs():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_session_with():
    with Session(engine) as session:
        yield session


async def get_async_session_with():
    async with async_session() as session:
        yield session


# a middleware owns the session's lifetime
def get_request_db(request: Request):
    return request.state.db


# created here, but stored where the middleware closes it
def get_or_create_request_db(request: Request):
    db = SessionLocal()
    request.state.db = db
    return db


def get_or_create_request_db_chained(request: Request):
    request.state.db = db = SessionLocal()
    return db


# a cached factory returns the same client every time: a singleton, not a leak
@lru_cache
def get_shared_client():
    return httpx.Client(base_url="https://api.example.com")


shared_http = httpx.AsyncClient()


def get_shared_http():
    return shared_http


def get_app_client(request: Request):
    return request.app.state.http


def get_user_id(key: str = Security(api_key)):
    return key.split(":")[0]


def get_session_maker():
    # the factory itself, not a session
    return SessionLocal


def get_external_factory():
    # an imported function of unknown nature, called with an argument
    return get_session_factory(engine)


def get_external_client():
    return make_client()


def get_imported_db_with_bind():
    # a positional argument: not the way a sessionmaker is called
    return ImportedSessionLocal(engine)


def get_session_from_factory():
    # session_factory is as often a function returning the sessionmaker: not recognised by name
    return session_factory()


def get_pooled_redis():
    # the pool is shared; the client borrows a connection per command
    return redis.Redis(connection_pool=redis_pool)


def get_db_with_cleanup(request: Request):
    db = SessionLocal()
    request.state.cleanup.append(db.close)  # handed over: someone closes it
    return db


@app.get("/silent")
def silent(
    a: Session = Depends(get_db_docs),
    b: Session = Depends(get_session_with),
    c: AsyncSession = Depends(get_async_session_with),
    d: Session = Depends(get_request_db),
    e: Session = Depends(get_or_create_request_db),
    f: Session = Depends(get_or_create_request_db_chained),
    g: httpx.Client = Depends(get_shared_client),
    h: httpx.AsyncClient = Depends(get_shared_http),
    i: httpx.AsyncClient = Depends(get_app_client),
    j: str = Depends(get_user_id),
    k=Depends(get_session_maker),
    m=Depends(get_external_factory),
    n=Depends(get_external_client),
    o=Depends(get_imported_db_with_bind),
    p=Depends(get_db_with_cleanup),
    q=Depends(get_session_from_factory),
    r=Depends(get_pooled_redis),
):
    return {}
