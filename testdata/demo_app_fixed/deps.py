"""Shared request dependencies."""
import os
from typing import Annotated

import bcrypt
import httpx
import jwt
import requests
from fastapi import Depends, Header, HTTPException
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from .db import User, get_async_session
from fastapi.concurrency import run_in_threadpool

SECRET_KEY = os.environ.get("JWT_SECRET", "change-me")
ALGORITHM = "HS256"
SSO_URL = os.environ.get("SSO_URL", "https://sso.example.com/api")
API_KEY_HASH = os.environ.get("INTERNAL_API_KEY_HASH", "").encode()

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/users/login")

sso = requests.Session()
sso.headers.update({"Authorization": f"Bearer {os.environ.get('SSO_SERVICE_TOKEN', '')}"})

credentials_exception = HTTPException(401, "Could not validate credentials", {"WWW-Authenticate": "Bearer"})


async def get_current_user(
    token: Annotated[str, Depends(oauth2_scheme)],
    session: Annotated[AsyncSession, Depends(get_async_session)],
) -> User:
    try:
        claims = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        raise credentials_exception from None
    user = await session.get(User, int(claims["sub"]))
    if user is None or not user.is_active:
        raise credentials_exception
    if "sid" in claims:
        resp = await run_in_threadpool(sso.get, f"{SSO_URL}/sessions/{claims['sid']}", timeout=2)
        if resp.status_code != 200:
            raise credentials_exception
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def verify_api_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
    if not x_api_key or not bcrypt.checkpw(x_api_key.encode(), API_KEY_HASH):
        raise HTTPException(status_code=401, detail="Invalid API key")


ApiKeyRequired = Depends(verify_api_key)


def get_geo_client() -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url="https://geo.example.com", timeout=5)
    return client


GeoClient = Annotated[httpx.AsyncClient, Depends(get_geo_client)]
