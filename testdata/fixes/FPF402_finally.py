"""Cleanup after the yield of a dependency moves into a finally around the yield."""
import asyncio
import os
import shutil
import tempfile

import httpx
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@db/app")
SessionLocal = sessionmaker(bind=engine)
async_engine = create_async_engine("postgresql+asyncpg://app@db/app")
async_session = async_sessionmaker(async_engine)
upload_slots = asyncio.Semaphore(4)

app = FastAPI()


def get_db():
    db = SessionLocal()
    # the request's session
    yield db  # handed to the endpoint
    db.close()  # back to the pool


def get_db_commit():
    db = SessionLocal()
    yield db
    db.commit()

    db.close()
    print("closed")


async def get_client():
    client = httpx.AsyncClient(base_url="https://api.example.com")
    yield client
    # release the connections
    await client.aclose()


def get_tempfile():
    fd, path = tempfile.mkstemp()
    os.close(fd)
    yield path
    os.remove(path)


async def upload_slot():
    await upload_slots.acquire()
    yield
    upload_slots.release()


def get_workdir():
    path = tempfile.mkdtemp()
    yield path
    shutil.rmtree(path)
    os.remove(path + ".lock")


# not passed to Depends here, but shaped like a dependency that other modules import
async def get_async_db_shared():
    session = async_session()
    yield session
    await session.close()


# ---- look-alikes that stay as they are -------------------------------------------------------


def get_db_except_only():
    db = SessionLocal()
    try:
        yield db
    except HTTPException:
        db.rollback()
        raise
    db.close()


def get_db_nested():
    db = SessionLocal()
    if db.bind is not None:
        yield db
    db.close()


def get_db_early_exit():
    db = SessionLocal()
    yield db
    if db.info.get("keep"):
        return
    db.close()


def get_db_spread():
    db = SessionLocal()
    other = SessionLocal()
    yield db
    db.close()
    print("between")
    other.close()


def get_db_docs():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/items", dependencies=[Depends(upload_slot)])
def items(
    db: Session = Depends(get_db),
    committing: Session = Depends(get_db_commit),
    client: httpx.AsyncClient = Depends(get_client),
    tmp: str = Depends(get_tempfile),
    workdir: str = Depends(get_workdir),
    except_only: Session = Depends(get_db_except_only),
    nested: Session = Depends(get_db_nested),
    early: Session = Depends(get_db_early_exit),
    spread: Session = Depends(get_db_spread),
    docs: Session = Depends(get_db_docs),
):
    return []
