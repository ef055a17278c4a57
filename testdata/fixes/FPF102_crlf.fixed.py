# fix-options: --unsafe-fixes
"""A CRLF file: new lines and imports keep CRLF; pathlib is imported as a module when
fastapi's Path holds the name."""
import asyncio

import requests as r
from fastapi import FastAPI, Path
import pathlib
from fastapi.concurrency import run_in_threadpool

app = FastAPI()


@app.get("/items/{name}")
async def item(name: str = Path(...)):
    await asyncio.sleep(0)
    body = await run_in_threadpool(pathlib.Path(name + ".json").read_text, encoding="utf-8")
    reply = await run_in_threadpool(
        r.put,
        "https://example.com",
        data=body,
    )
    return reply.status_code


@app.get("/sync")
def sync_item():
    return r.get("https://example.com").text
