"""A function rebinds the module-level `asyncio` through `global`."""
import time

from fastapi import FastAPI

app = FastAPI()


def reset():
    global asyncio
    asyncio = None


@app.get("/")
async def index():
    time.sleep(1)
    await other()


async def other():
    ...
