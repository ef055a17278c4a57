"""An existing `_background_tasks` set is reused; `asyncio` is imported for the annotation only
when the module does not import it."""
from asyncio import create_task, ensure_future, sleep

from fastapi import FastAPI

app = FastAPI()
_background_tasks = set()


async def work(n: int) -> None:
    await sleep(n)


@app.get("/a")
async def a():
    task = create_task(work(1)); _background_tasks.add(task); task.add_done_callback(_background_tasks.discard); return {"ok": True}


@app.get("/b")
async def b():
    for n in range(3):
        task = ensure_future(work(n))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
    task = create_task(work(4))
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
    task.add_done_callback(
        lambda t: print(t.result()),  # report
    )


@app.get("/silent")
async def silent():
    pending = [create_task(work(n)) for n in range(3)]
    return pending
