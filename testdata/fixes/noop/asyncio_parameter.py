"""`asyncio` is a parameter of the endpoint."""
import time

from fastapi import FastAPI

app = FastAPI()



@app.get("/")
async def index(asyncio: int = 0):
    time.sleep(1)
    await other()


async def other():
    ...
