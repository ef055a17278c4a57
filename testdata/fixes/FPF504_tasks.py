"""Discarded tasks are kept in a module-level set until they are done."""
import asyncio
from asyncio import create_task, ensure_future

from fastapi import FastAPI

app = FastAPI()


async def send_confirmation(order_id: int) -> None:
    await asyncio.sleep(1)


def log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception():
        print(task.exception())


@app.post("/orders/{order_id}")
async def create_order(order_id: int):
    # confirm in the background
    asyncio.create_task(send_confirmation(order_id))  # fire and forget
    return {"ok": True}


@app.post("/orders/{order_id}/retry")
async def retry(order_id: int, task: str = "retry"):
    create_task(
        send_confirmation(order_id),  # a comment inside the call
    )
    ensure_future(send_confirmation(order_id))


@app.post("/loop/{order_id}")
async def with_loop(order_id: int):
    loop = asyncio.get_running_loop()
    loop.create_task(send_confirmation(order_id))
    if order_id: asyncio.create_task(send_confirmation(0))


@app.post("/callback/{order_id}")
async def with_callback(order_id: int):
    asyncio.create_task(send_confirmation(order_id)).add_done_callback(log_failure)


class Notifier:
    def __init__(self):
        self.loop = asyncio.get_event_loop()

    def notify(self, order_id: int) -> None:
        self.loop.create_task(send_confirmation(order_id))


def outer():
    async def inner():
        asyncio.create_task(send_confirmation(1))

    return inner


# --- silent ----------------------------------------------------------------------------------


@app.post("/kept/{order_id}")
async def kept(order_id: int):
    job = asyncio.create_task(send_confirmation(order_id))
    await job


class Scheduler:
    def create_task(self, coro):
        return coro


scheduler = Scheduler()


@app.post("/custom")
async def custom():
    scheduler.create_task(send_confirmation(1))  # not asyncio's
