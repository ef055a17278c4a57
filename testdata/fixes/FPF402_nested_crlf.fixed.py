"""A CRLF file; the dependency is nested in a router factory."""
from fastapi import APIRouter, Depends

from .database import SessionLocal


def build_router() -> APIRouter:
    router = APIRouter()

    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()

    @router.get("/items")
    def items(db=Depends(get_db)):
        return []

    return router
