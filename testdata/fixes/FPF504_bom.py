"""A file with a UTF-8 BOM: the task fix keeps it."""
import asyncio

from fastapi import FastAPI

app = FastAPI()


async def notify(user: str) -> None:
    await asyncio.sleep(1)


@app.post("/greet")
async def greet(user: str):
    asyncio.create_task(notify(user))  # ☺ non-ASCII comment
    return "héllo"
