"""A nested function reads a global `asyncio` that is never bound: an import would change it."""
import time

from fastapi import FastAPI

app = FastAPI()


def probe():
    return asyncio  # a NameError today, and it must stay one


@app.get("/")
async def index():
    time.sleep(1)
    await other()


async def other():
    ...
