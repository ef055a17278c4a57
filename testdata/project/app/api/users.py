"""Endpoints building a service object of a project class (another module) per request and
calling its methods: through ``self.session`` and through a base class of a third module."""

import asyncio

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.services.users import UserService

router = APIRouter()


def get_db():
    ...


@router.get("/users/{user_id}")
async def read_user(user_id: int, db: Session = Depends(get_db)):
    await asyncio.sleep(0)
    service = UserService(db)
    service.label(user_id)
    await service.aget(user_id)
    service.settle()  # error: FPF107
    return service.get(user_id)  # error: FPF107


@router.get("/users/{user_id}/inline")
async def read_user_inline(user_id: int, db: Session = Depends(get_db)):
    await asyncio.sleep(0)
    return UserService(db).get(user_id)  # error: FPF107
