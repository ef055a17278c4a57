"""A star import may bind any name, `asyncio` too."""
import time
from helpers import *

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index():
    time.sleep(1)
    await other()


async def other():
    ...
