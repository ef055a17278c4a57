"""A file with a UTF-8 BOM: the task fix keeps it."""
import asyncio

from fastapi import FastAPI

_background_tasks: set[asyncio.Task] = set()

app = FastAPI()


async def notify(user: str) -> None:
    await asyncio.sleep(1)


@app.post("/greet")
async def greet(user: str):
    task = asyncio.create_task(notify(user))  # ☺ non-ASCII comment
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
    return "héllo"
