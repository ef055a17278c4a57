# fix-options: --unsafe-fixes
"""Blocking HTTP calls in coroutines move to the threadpool."""
import asyncio

import requests
import requests as r
from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool

app = FastAPI()
router = APIRouter()


@app.get("/fetch")
async def fetch(url: str):
    await asyncio.sleep(0)
    data = (await run_in_threadpool(requests.get, url)).json()  # the chain keeps its attribute
    await run_in_threadpool(r.post, url, json=data, timeout=5)
    response = await run_in_threadpool(
        requests.post,
        url,  # a comment inside the call
        json={"a": 1},
        **{"timeout": 3},
    )
    if not (await run_in_threadpool(requests.head, url)).ok:
        return None
    return response.text


@router.get("/nested")
async def nested(urls: list[str]):
    await asyncio.sleep(0)

    async def one(url):
        return await run_in_threadpool(requests.get, url, *(), timeout=2)

    texts = [(await run_in_threadpool(requests.get, u)).text for u in urls]
    lazy = list(requests.get(u) for u in urls)  # a generator expression: left as it is
    later = lambda: requests.get(urls[0])  # a lambda: left as it is
    return await one(urls[0]), texts, lazy, later


# --- look-alikes that must not change ----------------------------------------------------

@app.get("/sync")
def sync_fetch(url: str):
    return requests.get(url).json()


class Client:
    def get(self, url):
        return url


@app.get("/own-client")
async def own_client(url: str):
    await asyncio.sleep(0)
    return Client().get(url)
