"""The names a fix needs are checked where it writes them: a name taken there is spelt another way."""
from asyncio import sleep
from typing import TYPE_CHECKING

import requests
from fastapi import FastAPI
import asyncio

if TYPE_CHECKING:
    import asyncio  # not imported at run time: the fix adds a real import

app = FastAPI()


@app.get("/wait")
async def wait(sleep: float = 1.0):
    await asyncio.sleep(sleep)  # `sleep` is the parameter here: asyncio.sleep it is
    await ping()


@app.get("/retry")
async def retry():
    await asyncio.sleep(1)  # `sleep` is also a parameter above: the fix does not rely on it
    await ping()


async def ping() -> "asyncio.Future[None]":
    await sleep(0)
    return requests.get("https://example.com", timeout=5)
