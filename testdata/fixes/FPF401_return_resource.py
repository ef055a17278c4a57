# fix-options: --unsafe-fixes
"""Dependencies that return a resource yield it and close it in a finally."""
import sqlite3
from collections.abc import Iterator
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


def get_db() -> Session:
    db = SessionLocal()
    # hand it out
    return db  # the caller uses it


def get_db_direct():
    return SessionLocal()


def get_sqlite() -> sqlite3.Connection:
    conn = sqlite3.connect("app.db", check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


async def get_async_db() -> AsyncSession:
    return async_session()


async def get_http() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url="https://api.example.com",  # the upstream
    )


async def get_aiohttp():
    session = aiohttp.ClientSession()
    return session


def get_audit_log():
    return open("/var/log/app/audit.log", "a")


def _new_session():
    return SessionLocal()


def get_db_via_helper(session: str = ""):
    return _new_session()


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
