# fix-options: --unsafe-fixes
"""Sync database calls in coroutines move to the threadpool; query building stays put."""
import asyncio
import sqlite3

import redis
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

app = FastAPI()
SessionLocal = sessionmaker()
cache = redis.Redis(host="localhost")


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


class User:
    id = 0


@app.get("/users/{user_id}")
async def read_user(user_id: int, db: Session = Depends(get_db)):
    await asyncio.sleep(0)
    user = await run_in_threadpool(db.query(User).filter(User.id == user_id).first)
    db.add(user)  # staging only: no I/O
    await run_in_threadpool(db.commit)
    value = await run_in_threadpool(cache.get, f"user:{user_id}")
    rows = await run_in_threadpool(lambda: sqlite3.connect("app.db").execute("select 1").fetchall())
    return user, value, rows


@app.get("/locked")
async def locked(db: Session = Depends(get_db)):
    await asyncio.sleep(0)
    with LOCK:
        db.commit()  # under a thread lock: an await here could deadlock the loop
    return [await run_in_threadpool(db.get, User, i) for i in range(3)]


LOCK = object()


# --- look-alikes that must not change ----------------------------------------------------

@app.get("/sync/{user_id}")
def read_user_sync(user_id: int, db: Session = Depends(get_db)):
    return db.query(User).filter(User.id == user_id).first()


@app.get("/sqlite")
async def sqlite_rows():
    await asyncio.sleep(0)
    conn = sqlite3.connect("app.db")  # sqlite3 objects must stay in the thread that made them
    cur = conn.cursor()
    cur.execute("select 1")
    return cur.fetchall()


@app.get("/offloaded")
async def offloaded(db: Session = Depends(get_db)):
    return await run_in_threadpool(db.query(User).all)
