# fix-options: --unsafe-fixes
"""Calls of sync helpers that block move to the threadpool (reusing the module's import)."""
import asyncio

import requests
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

router = APIRouter()


def load_remote(url, *, timeout=5):
    return requests.get(url, timeout=timeout).json()


class Repository:
    def load(self):
        return load_remote("https://example.com")

    async def refresh(self):
        await asyncio.sleep(0)
        return self.load()["items"]


@router.get("/data")
async def data(urls: list[str]):
    await asyncio.sleep(0)
    first = load_remote(urls[0], timeout=1)
    rest = [load_remote(
        u,  # one per url
    ) for u in urls[1:]]

    def fetch():
        return requests.get(urls[0])

    response = fetch()
    return first, rest, response


# --- look-alikes that must not change ----------------------------------------------------

def pure(x):
    return x * 2


@router.get("/offloaded")
async def offloaded(url: str):
    await asyncio.sleep(0)
    done = await run_in_threadpool(load_remote, url)
    return pure(done)


# What the server runs besides the routes (a registry of handlers, a method it calls): reached from an
# entry point, so served and fixed.
SERVED = [Repository, Repository.refresh]
