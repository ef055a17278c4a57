"""`asyncio` is a module variable here: neither used nor shadowed by an import."""
import time

from fastapi import FastAPI

app = FastAPI()

asyncio = "not the module"


@app.get("/")
async def index():
    time.sleep(1)
    await other()


async def other():
    ...
