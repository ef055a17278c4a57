"""FPF503: functools caches keyed by per-request objects (reported instead of FPF502)."""
from functools import cache, lru_cache
from typing import Annotated, Optional

import aiohttp
import requests
from fastapi import Depends, FastAPI, Request, UploadFile, WebSocket
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, sessionmaker

app = FastAPI()
SessionLocal = sessionmaker()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@lru_cache  # error: FPF503
def current_tenant(request: Request) -> str:
    return request.headers["x-tenant"]


@cache  # error: FPF503
def user_count(db: Session) -> int:
    return 0


@lru_cache(maxsize=None)  # error: FPF503
def first_user(db: "AsyncSession", user_id: int):
    # both FPF502 (user_id) and FPF503 apply: only FPF503 is reported
    return user_id


@lru_cache(maxsize=16)  # error: FPF503
def checksum(upload: UploadFile) -> str:
    return upload.filename or ""


@lru_cache  # error: FPF503
def channel(websocket: Optional[WebSocket]) -> str:
    return "ws"


@lru_cache  # error: FPF503
def settings_for(request) -> dict:
    return {}


@cache  # error: FPF503
def rows(session, table: str) -> list:
    return []


@lru_cache  # error: FPF503
def injected(db: Annotated[Session, Depends(get_db)]) -> int:
    return 1


class Repository:
    @lru_cache  # error: FPF503
    def count(self, db: Session) -> int:
        return 0


# --- silent ----------------------------------------------------------------------------------


@lru_cache
def tenant_config(tenant: str) -> dict:
    return {"tenant": tenant}


@app.get("/tenant")
def tenant(request: Request):
    return tenant_config(request.headers.get("x-tenant", "default"))


@lru_cache
def http_session(session: requests.Session) -> str:
    return "shared client session"


@lru_cache
def aio(session: aiohttp.ClientSession) -> str:
    return "shared client session"


@lru_cache
def get_settings():
    return {}


def not_cached(request: Request, db: Session = Depends(get_db)) -> int:
    return 0
