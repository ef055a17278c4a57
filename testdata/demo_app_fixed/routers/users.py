"""Authentication and account management."""
import asyncio
import os
from datetime import datetime, timedelta, timezone
from typing import Annotated

import bcrypt
import httpx
import jwt
from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm
from passlib.context import CryptContext
from pydantic import BaseModel, EmailStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..db import User, get_async_session, get_db
from ..deps import ALGORITHM, SECRET_KEY, CurrentUser
from ..services import send_email_sync
from fastapi.concurrency import run_in_threadpool

router = APIRouter(prefix="/users", tags=["users"])

pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")

ACCESS_TOKEN_TTL = timedelta(hours=12)
GITHUB_CLIENT_ID = os.environ.get("GITHUB_CLIENT_ID", "")
GITHUB_CLIENT_SECRET = os.environ.get("GITHUB_CLIENT_SECRET", "")


class UserCreate(BaseModel):
    email: EmailStr
    password: str
    full_name: str | None = None


class UserOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    email: EmailStr
    full_name: str | None


class PasswordReset(BaseModel):
    token: str
    new_password: str


def _create_access_token(user_id: int) -> str:
    expires = datetime.now(timezone.utc) + ACCESS_TOKEN_TTL
    return jwt.encode({"sub": str(user_id), "exp": expires}, SECRET_KEY, algorithm=ALGORITHM)


@router.post("/login")
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: AsyncSession = Depends(get_async_session),
):
    result = await session.execute(select(User).where(User.email == form.username))
    user = result.scalar_one_or_none()
    if user is None or not (await run_in_threadpool(pwd_context.verify, form.password, user.hashed_password)):
        raise HTTPException(status_code=401, detail="Incorrect email or password")
    return {"access_token": _create_access_token(user.id), "token_type": "bearer"}


@router.post("/", response_model=UserOut, status_code=201)
async def register(
    payload: UserCreate, background_tasks: BackgroundTasks, session: AsyncSession = Depends(get_async_session)
):
    existing = await session.scalar(select(User.id).where(User.email == payload.email))
    if existing is not None:
        raise HTTPException(status_code=409, detail="Email already registered")
    salt = bcrypt.gensalt()
    hashed = await asyncio.to_thread(bcrypt.hashpw, payload.password.encode(), salt)
    user = User(email=payload.email, full_name=payload.full_name, hashed_password=hashed.decode())
    session.add(user)
    await session.commit()
    background_tasks.add_task(send_email_sync, user.email, "Welcome to Inventory", "Your account is ready.")
    return user


@router.post("/me/github")
async def link_github(code: str, user: CurrentUser, session: AsyncSession = Depends(get_async_session)):
    with httpx.Client(timeout=10) as client:
        token_resp = await run_in_threadpool(
            client.post,
            "https://github.com/login/oauth/access_token",
            data={"client_id": GITHUB_CLIENT_ID, "client_secret": GITHUB_CLIENT_SECRET, "code": code},
            headers={"Accept": "application/json"},
        )
    access_token = token_resp.json().get("access_token")
    if not access_token:
        raise HTTPException(status_code=400, detail="GitHub rejected the code")
    user.github_token = access_token
    session.add(user)
    await session.commit()
    return {"linked": True}


@router.post("/password-reset", status_code=204)
def reset_password(payload: PasswordReset, db: Session = Depends(get_db)) -> None:
    try:
        claims = jwt.decode(payload.token, SECRET_KEY, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        raise HTTPException(status_code=400, detail="Invalid token") from None
    user = db.query(User).filter(User.id == int(claims["sub"])).first()
    if user is None:
        raise HTTPException(status_code=400, detail="Invalid token")
    user.hashed_password = pwd_context.hash(payload.new_password)
    db.commit()
    send_email_sync(user.email, "Your password was changed", "If this wasn't you, contact support.")
