"""`asyncio` is a class of the module."""
import time

from fastapi import FastAPI

app = FastAPI()


class asyncio:
    ...


@app.get("/")
async def index():
    time.sleep(1)
    await other()


async def other():
    ...
