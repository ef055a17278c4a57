"""Only an import under TYPE_CHECKING binds `asyncio`, and something else assigns it."""
import time
from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = None

app = FastAPI()


@app.get("/")
async def index():
    time.sleep(1)
    await other()


async def other():
    ...
