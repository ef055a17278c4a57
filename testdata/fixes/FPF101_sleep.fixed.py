"""time.sleep in coroutines becomes await asyncio.sleep."""
import time

from fastapi import FastAPI
import asyncio

app = FastAPI()


@app.get("/retry")
async def retry(attempts: int = 3):
    for attempt in range(attempts):
        await asyncio.sleep(2**attempt)  # back off
    await asyncio.sleep(
        0.5,  # a comment inside the call survives
    )
    await notify()
    return {"slept": await asyncio.sleep(0) or True}


async def notify():
    ...


def sync_helper():
    time.sleep(1)  # sync code keeps time.sleep
