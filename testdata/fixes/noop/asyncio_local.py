"""`asyncio` is a local of the endpoint."""
import time

from fastapi import FastAPI

app = FastAPI()



@app.get("/")
async def index():
    asyncio = 1
    time.sleep(1)
    await other()


async def other():
    ...
