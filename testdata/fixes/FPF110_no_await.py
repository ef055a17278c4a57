# fix-options: --unsafe-fixes
"""Async path operations and dependencies that never await become sync."""
import asyncio
import json
import os
from typing import Annotated

import bcrypt
import requests
from fastapi import APIRouter, Depends, FastAPI, Security

app = FastAPI()
router = APIRouter()


def read_settings():
    with open("settings.json") as fh:
        return json.load(fh)


@app.get("/files")
@app.get("/files/", include_in_schema=False)
async def list_files():  # the comment on the def line stays
    return os.listdir("/srv/files")


@router.get("/settings")
async def settings():
    return read_settings()


async def verify_key(key: str):
    if not bcrypt.checkpw(key.encode(), b"$2b$12$..."):
        raise ValueError("bad key")


async def current_user(token: str):
    return requests.get("https://auth.example.com/me", headers={"Authorization": token}).json()


async def session_dep():
    response = requests.get("https://example.com")
    yield response


@router.get("/secure", dependencies=[Depends(verify_key)])
async def secure(user: Annotated[dict, Security(current_user)], s=Depends(dependency=session_dep)):
    await asyncio.sleep(0)
    return user


def make_router():
    inner = APIRouter()

    @inner.get("/inner")
    async def inner_endpoint():
        return os.listdir(".")

    return inner


# --- look-alikes that must not change ----------------------------------------------------

async def called_directly(token: str):
    return requests.get("https://example.com", headers={"t": token}).json()


@app.get("/direct")
async def direct(user=Depends(called_directly)):
    await asyncio.sleep(0)
    return await called_directly("x")


def limit(func):
    return func


@app.get("/limited")
@limit
async def limited():
    return os.listdir(".")


@app.get("/tasks")
async def tasks():
    asyncio.get_running_loop().call_soon(print, "needs the loop")
    return os.listdir(".")


async def kept_dep():
    return os.listdir(".")


HANDLERS = [kept_dep]


@app.get("/kept")
async def kept(x=Depends(kept_dep)):
    await asyncio.sleep(0)
    return x
