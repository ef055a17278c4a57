# fix-options: --unsafe-fixes
"""The dependency is nested in a router factory; Iterator gets imported."""
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from .database import SessionLocal
from collections.abc import Iterator


def build_router() -> APIRouter:
    router = APIRouter()

    def get_db() -> Iterator[Session]:
        session = SessionLocal()  # « une session »
        try:
            yield session
        finally:
            session.close()

    @router.get("/items")
    def items(db: Session = Depends(get_db)):
        return []

    return router
