# fix-options: --unsafe-fixes
"""A CRLF file: new lines and imports keep CRLF; pathlib is imported as a module when
fastapi's Path holds the name."""
import asyncio

import requests as r
from fastapi import FastAPI, Path

app = FastAPI()


@app.get("/items/{name}")
async def item(name: str = Path(...)):
    await asyncio.sleep(0)
    with open(name + ".json", encoding="utf-8") as fh:
        body = fh.read()
    reply = r.put(
        "https://example.com",
        data=body,
    )
    return reply.status_code


@app.get("/sync")
def sync_item():
    return r.get("https://example.com").text
