"""FPF403: Depends(SessionLocal) or another resource factory used directly as a dependency."""
from typing import Annotated

import httpx
import redis
import sqlite3
from fastapi import APIRouter, Depends, FastAPI, Security
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from . import database
from .database import AsyncSessionLocal
from .database import SessionLocal as ImportedSessionLocal
from .database import get_db as imported_get_db
from .deps import async_session, session_factory
from .settings import Settings, get_settings

engine = create_engine("postgresql://app@db/app")
SessionLocal = sessionmaker(bind=engine, autoflush=False)
SessionFactory = sessionmaker(bind=engine)
ScopedSession = scoped_session(SessionLocal)
async_engine = create_async_engine("postgresql+asyncpg://app@db/app")
make_async_session = async_sessionmaker(async_engine)
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

app = FastAPI()
router = APIRouter()

DbSession = Annotated[Session, Depends(SessionLocal)]  # error: FPF403


# ---- findings -----------------------------------------------------------------------------


@app.get("/users")
def list_users(db: Session = Depends(SessionLocal)):  # error: FPF403
    return []


@app.get("/orders")
def list_orders(db: DbSession):
    return []


@app.get("/imported")
def imported(db: Session = Depends(ImportedSessionLocal)):  # error: FPF403
    return []


@app.get("/module-attr")
def module_attr(db: Session = Depends(database.SessionLocal)):  # error: FPF403
    return []


@app.get("/async")
async def async_sessions(
    session: Annotated[AsyncSession, Depends(make_async_session)],  # error: FPF403
    other: Annotated[AsyncSession, Depends(AsyncSessionLocal)],  # error: FPF403
):
    return []


@router.get("/plain")
def plain_session(db: Session = Depends(Session)):  # error: FPF403
    return []


@router.get("/http")
async def http(client: httpx.AsyncClient = Depends(httpx.AsyncClient)):  # error: FPF403
    return (await client.get("https://example.com")).text


@router.get("/cache", dependencies=[Depends(redis.Redis)])  # error: FPF403
def cache():
    return {}


@router.get("/renamed")
def renamed(db: Session = Security(dependency=SessionFactory)):  # error: FPF403
    return []


# ---- silent look-alikes -------------------------------------------------------------------


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


async def get_async_session():
    async with make_async_session() as session:
        yield session


def get_sqlite():
    with sqlite3.connect("app.db") as conn:
        yield conn


@app.get("/ok")
def ok(
    db: Session = Depends(get_db),
    imported_db: Session = Depends(imported_get_db),
    settings: Settings = Depends(get_settings),
    token: str = Depends(oauth2_scheme),
    conn: sqlite3.Connection = Depends(get_sqlite),
):
    return {}


@app.get("/ok-async")
async def ok_async(
    session: Annotated[AsyncSession, Depends(get_async_session)],
    settings: Annotated[Settings, Depends()],
    # names a yield dependency is often given: not taken for a sessionmaker
    maybe_yield: Annotated[AsyncSession, Depends(async_session)],
    maybe_provider: Annotated[AsyncSession, Depends(session_factory)],
    scoped: Session = Depends(ScopedSession),  # a thread-local registry, not a per-call session
):
    return {}
