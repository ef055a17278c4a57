"""`set` is not the builtin here: the task set cannot be made with `set()`."""
import asyncio

from fastapi import FastAPI

app = FastAPI()
set = frozenset


@app.post("/")
async def start():
    asyncio.create_task(work())


async def work():
    ...
