"""time.sleep in coroutines becomes await asyncio.sleep."""
import time
from time import sleep as pause

from fastapi import FastAPI

app = FastAPI()


@app.get("/retry")
async def retry(attempts: int = 3):
    for attempt in range(attempts):
        time.sleep(2**attempt)  # back off
    pause(
        0.5,  # a comment inside the call survives
    )
    await notify()
    return {"slept": time.sleep(0) or True}


async def notify():
    ...


def sync_helper():
    time.sleep(1)  # sync code keeps time.sleep
