# fix-options: --unsafe-fixes
"""The dependency is nested in a router factory; Iterator gets imported."""
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from .database import SessionLocal


def build_router() -> APIRouter:
    router = APIRouter()

    def get_db() -> Session:
        return SessionLocal()  # « une session »

    @router.get("/items")
    def items(db: Session = Depends(get_db)):
        return []

    return router
