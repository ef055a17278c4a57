"""FPF110: async path operations and dependencies that never await but block."""
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
async def list_files():  # error: FPF110
    return os.listdir("/srv/files")


@router.get("/settings")
async def settings():  # error: FPF110
    return read_settings()


async def verify_key(key: str):  # error: FPF110
    if not bcrypt.checkpw(key.encode(), b"$2b$12$..."):
        raise ValueError("bad key")


async def current_user(token: str):  # error: FPF110
    return requests.get("https://auth.example.com/me", headers={"Authorization": token}).json()


async def session_dep():  # error: FPF110
    response = requests.get("https://example.com")
    yield response


@router.get("/secure", dependencies=[Depends(verify_key)])
async def secure(user: Annotated[dict, Security(current_user)], s=Depends(session_dep)):
    return user


# --- silent look-alikes -----------------------------------------------------------------

@app.get("/fast")
async def fast():
    # never awaits and never blocks: fine as it is
    return {"ok": True}


async def not_an_endpoint():
    # a plain coroutine without await (served: SERVED below): its calls are reported one by one
    return os.listdir(".")  # error: FPF103


@app.get("/awaits")
async def awaits(user=Depends(current_user)):
    data = await some_async()
    return os.listdir(data)  # error: FPF103


async def some_async():
    return "."


@app.get("/report")
async def report():  # error: FPF110
    with open("header.txt") as fh:  # a local read first...
        header = fh.read()
    return header + requests.get("https://example.com").text  # ...the costliest: named


# What the server runs besides the routes (a registry of handlers): the functions and
# classes named here are reached from an entry point, so their coroutines are served.
SERVED = [not_an_endpoint]
