"""`_background_tasks` means something else here: the set gets another name; `asyncio` is added."""
from asyncio import ensure_future, sleep
from typing import Any

from fastapi import FastAPI
import asyncio

_background_tasks_1: set[asyncio.Task] = set()

app = FastAPI()
_background_tasks: list[Any] = ["cleanup", "report"]  # job names, not a set


async def work() -> None:
    await sleep(1)


@app.get("/a")
async def a():
    task = ensure_future(work())
    _background_tasks_1.add(task)
    task.add_done_callback(_background_tasks_1.discard)
    return _background_tasks


@app.get("/b")
async def b(task: int = 0):
    task_1 = ensure_future(work())
    _background_tasks_1.add(task_1)
    task_1.add_done_callback(_background_tasks_1.discard)


class Jobs:
    ensure_future(work())  # a class body
