"""`asyncio` is a loop target around the call."""
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index():
    for asyncio in range(3):
        time.sleep(asyncio)
    await other()


async def other():
    ...
