"""FPF402: cleanup after the yield of a dependency that an exception in the endpoint skips."""
import asyncio
import os
import shutil
import tempfile
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@db/app")
SessionLocal = sessionmaker(bind=engine)
async_engine = create_async_engine("postgresql+asyncpg://app@db/app")
async_session = async_sessionmaker(async_engine)
upload_slots = asyncio.Semaphore(4)


@asynccontextmanager
async def lifespan(app: FastAPI):
    client = httpx.AsyncClient()
    app.state.http = client
    yield
    await client.aclose()  # lifespan: not a dependency


app = FastAPI(lifespan=lifespan)


# ---- findings -----------------------------------------------------------------------------


def get_db():
    db = SessionLocal()
    yield db  # error: FPF402
    db.close()


def get_db_commit():
    db = SessionLocal()
    yield db  # error: FPF402
    db.commit()
    db.close()


async def get_async_db():
    session = async_session()
    yield session  # error: FPF402
    await session.close()


async def get_client():
    client = httpx.AsyncClient(base_url="https://api.example.com")
    yield client  # error: FPF402
    await client.aclose()


def get_db_except_only():
    # the except clause closes, but a finally is what covers every way out
    db = SessionLocal()
    try:
        yield db  # error: FPF402
    except HTTPException:
        db.rollback()
        db.close()
        raise
    db.close()


def get_db_else():
    db = SessionLocal()
    try:
        yield db  # error: FPF402
    except Exception:
        db.rollback()
        raise
    else:
        db.commit()
        db.close()


def get_workdir():
    path = tempfile.mkdtemp()
    yield path  # error: FPF402
    shutil.rmtree(path)


def get_tempfile():
    fd, path = tempfile.mkstemp()
    os.close(fd)
    yield path  # error: FPF402
    os.remove(path)


async def upload_slot():
    await upload_slots.acquire()
    yield  # error: FPF402
    upload_slots.release()


def get_db_nested():
    db = SessionLocal()
    if db.bind is not None:
        yield db  # error: FPF402
    db.close()


@app.get("/items")
def items(
    db: Session = Depends(get_db),
    committing: Session = Depends(get_db_commit),
    except_only: Session = Depends(get_db_except_only),
    with_else: Session = Depends(get_db_else),
    nested: Session = Depends(get_db_nested),
    workdir: str = Depends(get_workdir),
    tmp: str = Depends(get_tempfile),
):
    return []


# not passed to Depends here, but shaped like a dependency that other modules import
# (from .db import get_db_shared): however it is consumed, the close is skipped on errors
def get_db_shared():
    db = SessionLocal()
    yield db  # error: FPF402
    db.close()


async def get_async_db_shared():
    session = async_session()
    yield session  # error: FPF402
    await session.close()


@app.get("/remote", dependencies=[Depends(upload_slot)])
async def remote(
    session: Annotated[AsyncSession, Depends(get_async_db)],
    client: Annotated[httpx.AsyncClient, Depends(get_client)],
):
    return (await client.get("/items")).json()


# ---- silent look-alikes -------------------------------------------------------------------


# the FastAPI documentation's dependency
def get_db_docs():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_db_commit_rollback():
    db = SessionLocal()
    try:
        yield db
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()


def get_session_with():
    with Session(engine) as session:
        yield session


async def get_async_session_with():
    async with async_session() as session:
        yield session


async def get_async_session_begin():
    async with async_session() as session, session.begin():
        yield session


async def get_client_with():
    async with httpx.AsyncClient() as client:
        yield client


async def upload_slot_with():
    async with upload_slots:
        yield


def get_workdir_with():
    with tempfile.TemporaryDirectory() as path:
        yield path


def get_db_logs_after():
    # what follows the yield is no cleanup
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
    print("request done")


async def get_db_commit_after():
    # committing after the yield is right to skip when the request failed
    async with async_session() as session:
        yield session
        await session.commit()


def stream_rows():
    # a generator that yields no resource it opened: not a dependency's shape
    db = SessionLocal()
    for row in db.execute("select * from items"):
        yield row
    db.close()


def get_db_for_other_modules():
    def nested():
        db = SessionLocal()
        yield db
        db.close()  # nested: not the shape of a dependency other modules import

    return nested


@contextmanager
def session_scope():
    # used with `with`, not Depends (FPF402 is about dependencies)
    db = SessionLocal()
    yield db
    db.close()


def get_items_list():
    items = ["a", "b"]
    yield items
    items.remove("a")  # list.remove(x): no cleanup


@app.get("/silent", dependencies=[Depends(upload_slot_with)])
async def silent(
    a: Session = Depends(get_db_docs),
    b: Session = Depends(get_db_commit_rollback),
    c: Session = Depends(get_session_with),
    d: AsyncSession = Depends(get_async_session_with),
    e: AsyncSession = Depends(get_async_session_begin),
    f: httpx.AsyncClient = Depends(get_client_with),
    g: str = Depends(get_workdir_with),
    h: Session = Depends(get_db_logs_after),
    i: AsyncSession = Depends(get_db_commit_after),
    j: list = Depends(get_items_list),
):
    return {}
