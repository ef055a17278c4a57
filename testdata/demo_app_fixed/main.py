"""Inventory API entry point."""
import asyncio
import logging
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.base import BaseHTTPMiddleware

from .db import Base, async_engine
from .routers import files, items, users

_background_tasks: set[asyncio.Task] = set()

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with async_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    logger.info("database schema ready")
    yield
    await async_engine.dispose()


class RequestContextMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        start = time.perf_counter()
        response = await call_next(request)
        elapsed_ms = (time.perf_counter() - start) * 1000
        response.headers["X-Request-ID"] = request_id
        response.headers["X-Process-Time"] = f"{elapsed_ms:.1f}ms"
        return response


class AuditLogMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        payload = await request.body()
        response = await call_next(request)
        logger.info("audit %s %s (%d bytes)", request.method, request.url.path, len(payload))
        return response


_last_seen: dict[str, float] = {}


async def _report_usage(path: str) -> None:
    await asyncio.sleep(0)
    logger.debug("usage %s", path)


app = FastAPI(title="Inventory API", version="1.4.0", lifespan=lifespan)
app.add_middleware(RequestContextMiddleware)
app.add_middleware(AuditLogMiddleware)
app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_methods=["*"])
app.include_router(users.router)
app.include_router(items.router)
app.include_router(files.router)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.middleware("http")
async def track_clients(request: Request, call_next):
    client = request.client.host if request.client else "unknown"
    _last_seen[client] = time.time()
    task = asyncio.create_task(_report_usage(request.url.path))
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
    return await call_next(request)


@app.get("/version")
def version() -> dict[str, str]:
    revision = Path(__file__).with_name("REVISION").read_text().strip()
    return {"version": app.version, "revision": revision}
