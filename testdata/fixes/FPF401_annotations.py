# fix-options: --unsafe-fixes
"""Return annotations become iterators, spelled with the module's own imports."""
import typing as t

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from .database import AsyncSessionLocal, SessionLocal, async_session
from .tracing import traced

app = FastAPI()


def get_db() -> "Session":
    db = SessionLocal()
    return db


async def get_async_db() -> t.Optional[AsyncSession]:
    session = AsyncSessionLocal()
    return session


# ---- look-alikes that stay as they are -------------------------------------------------------


async def get_maybe_context_manager():
    return async_session()  # an @asynccontextmanager as often as a sessionmaker


@traced
def get_traced_db():
    return SessionLocal()  # a decorator may want the value


def get_sync_for_async():
    return AsyncSessionLocal()  # closing it needs an await


@app.get("/items")
async def items(
    db: Session = Depends(get_db),
    session: AsyncSession = Depends(get_async_db),
    maybe: AsyncSession = Depends(get_maybe_context_manager),
    traced_db: Session = Depends(get_traced_db),
    sync_for_async: AsyncSession = Depends(get_sync_for_async),
):
    return []
