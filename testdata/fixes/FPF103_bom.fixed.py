"""A file with a UTF-8 BOM.  The test harness reads `# fix-options` from the first bytes, so a
BOM case cannot ask for unsafe fixes: this one checks that without --unsafe-fixes the
threadpool fixes stay out (only FPF101, which is safe, applies) and the BOM stays."""

from fastapi import FastAPI
import asyncio

app = FastAPI()


@app.get("/notes")
async def notes(name: str):
    await notify()
    await asyncio.sleep(0.1)
    with open(name) as fh:
        return fh.read()


@app.put("/notes")
async def save(name: str, text: str):
    await notify()
    await asyncio.sleep(0.1)
    open(name, "w").write(text)  # café
    return {"ok": True}


async def notify():
    ...
