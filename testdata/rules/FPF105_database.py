"""FPF105: sync database and cache clients in coroutines."""
import asyncio
import sqlite3
from typing import Annotated, Optional

import boto3
import psycopg2
import redis
from fastapi import APIRouter, Depends, FastAPI
from pymongo import MongoClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import Session as SQLModelSession

app = FastAPI()
router = APIRouter()

engine = create_engine("postgresql://localhost/app")
SessionLocal = sessionmaker(bind=engine, autoflush=False)
async_engine = create_async_engine("postgresql+asyncpg://localhost/app")
AsyncSessionLocal = async_sessionmaker(async_engine)
cache = redis.Redis(host="localhost")
mongo = MongoClient("mongodb://localhost")
s3 = boto3.client("s3")


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


async def get_async_db():
    async with AsyncSessionLocal() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


@app.get("/users/{user_id}")
async def read_user(user_id: int, db: Session = Depends(get_db)):
    await asyncio.sleep(0)
    user = db.query(User).filter(User.id == user_id).first()  # error: FPF105
    db.add(user)  # add only stages the object: no I/O
    db.commit()  # error: FPF105
    return user


@router.get("/annotated")
async def annotated(db: Annotated[Session, Depends(get_db)]):
    await asyncio.sleep(0)
    return db.execute(select(User)).scalars().all()  # error: FPF105


@router.get("/alias")
async def alias(db: SessionDep):
    await asyncio.sleep(0)
    return db.scalars(select(User)).all()  # error: FPF105


@router.get("/injected")
async def injected(db=Depends(get_db)):
    await asyncio.sleep(0)
    db.refresh(object())  # error: FPF105
    return db.get(User, 1)  # error: FPF105


@router.get("/sqlmodel")
async def sqlmodel_endpoint(session: Optional[SQLModelSession] = None):
    await asyncio.sleep(0)
    return session.exec(select(User)).all()  # error: FPF105


@router.get("/raw")
async def raw():
    await asyncio.sleep(0)
    with engine.connect() as conn:  # error: FPF105
        conn.execute(text("select 1"))  # error: FPF105
    with SessionLocal() as session:
        session.execute(text("select 1"))  # error: FPF105
    conn2 = sqlite3.connect("app.db")  # error: FPF105
    cur = conn2.cursor()
    cur.execute("select 1")  # error: FPF105
    rows = cur.fetchall()  # error: FPF105
    pg = psycopg2.connect("dbname=app")  # error: FPF105
    return rows, pg


@router.get("/cache")
async def cached(key: str):
    await asyncio.sleep(0)
    value = cache.get(key)  # error: FPF105
    pipe = cache.pipeline()
    pipe.set(key, 1)
    pipe.execute()  # error: FPF105
    doc = mongo.app.users.find_one({"k": key})  # error: FPF105
    mongo["app"]["events"].insert_one({"k": key})  # error: FPF105
    s3.put_object(Bucket="b", Key=key, Body=b"")  # error: FPF105
    return value, doc


# --- silent look-alikes -----------------------------------------------------------------

@app.get("/users-sync/{user_id}")
def read_user_sync(user_id: int, db: Session = Depends(get_db)):
    return db.query(User).filter(User.id == user_id).first()


@app.get("/users-async/{user_id}")
async def read_user_async(user_id: int, db: AsyncSession = Depends(get_async_db)):
    result = await db.execute(select(User).where(User.id == user_id))
    db.add(result)
    await db.commit()
    return result.scalar_one_or_none()


@app.get("/presign")
async def presign(key: str):
    # generate_presigned_url signs locally, no network
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": key})
    paginator = s3.get_paginator("list_objects_v2")
    await cache_async()
    return url, paginator


async def cache_async():
    import redis.asyncio as aioredis

    client = aioredis.from_url("redis://localhost")
    await client.get("k")


class User:
    id = 0
