# fix-options: --unsafe-fixes
"""Dependencies that return a resource yield it and close it in a finally."""
import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import aiohttp
import httpx
from fastapi import Depends, FastAPI, Request
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@db/app", pool_size=5)
SessionLocal = sessionmaker(bind=engine, autoflush=False)
async_engine = create_async_engine("postgresql+asyncpg://app@db/app")
async_session = async_sessionmaker(async_engine, expire_on_commit=False)

app = FastAPI()


def get_db() -> Iterator[Session]:
    db = SessionLocal()
    # hand it out
    try:
        yield db  # the caller uses it
    finally:
        db.close()


def get_db_direct():
    session = SessionLocal()
    try:
        yield session
    finally:
        session.close()


def get_sqlite() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect("app.db", check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


async def get_async_db() -> AsyncIterator[AsyncSession]:
    session = async_session()
    try:
        yield session
    finally:
        await session.close()


async def get_http() -> AsyncIterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(
        base_url="https://api.example.com",  # the upstream
    )
    try:
        yield client
    finally:
        await client.aclose()


async def get_aiohttp():
    session = aiohttp.ClientSession()
    try:
        yield session
    finally:
        await session.close()


def get_audit_log():
    file = open("/var/log/app/audit.log", "a")
    try:
        yield file
    finally:
        file.close()


def _new_session():
    return SessionLocal()


def get_db_via_helper(session: str = ""):
    session_1 = _new_session()
    try:
        yield session_1
    finally:
        session_1.close()


@app.get("/users")
def list_users(
    db: Session = Depends(get_db),
    direct: Session = Depends(get_db_direct),
    via_helper: Session = Depends(get_db_via_helper),
    early: Session = Depends(get_db_early_close),
    called: Session = Depends(get_db_called_directly),
):
    return []


@app.get("/reports")
async def reports(
    session: Annotated[AsyncSession, Depends(get_async_db)],
    http: Annotated[httpx.AsyncClient, Depends(get_http)],
    aio: Annotated[aiohttp.ClientSession, Depends(get_aiohttp)],
):
    return []


@app.get("/raw", dependencies=[Depends(get_sqlite), Depends(get_audit_log)])
def raw():
    return {}


# ---- look-alikes that stay as they are -------------------------------------------------------


def get_db_early_close(request: Request):
    db = SessionLocal()
    if request.headers.get("x-dry-run"):
        db.close()  # closed on one path only: two returns, not the simple shape
        return None
    return db


def get_db_called_directly():
    return SessionLocal()


def run_report():
    db = get_db_called_directly()  # wants the session itself, not a generator
    db.close()


def make_session():
    # not a dependency
    return SessionLocal()
