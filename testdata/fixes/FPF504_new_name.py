"""`_background_tasks` means something else here: the set gets another name; `asyncio` is added."""
from asyncio import ensure_future, sleep
from typing import Any

from fastapi import FastAPI

app = FastAPI()
_background_tasks: list[Any] = ["cleanup", "report"]  # job names, not a set


async def work() -> None:
    await sleep(1)


@app.get("/a")
async def a():
    ensure_future(work())
    return _background_tasks


@app.get("/b")
async def b(task: int = 0):
    ensure_future(work())


class Jobs:
    ensure_future(work())  # a class body
