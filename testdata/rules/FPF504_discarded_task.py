"""FPF504: tasks whose only reference is thrown away."""
import asyncio
import contextvars
from asyncio import create_task, ensure_future

import anyio
from fastapi import BackgroundTasks, FastAPI
from starlette.middleware.base import BaseHTTPMiddleware

app = FastAPI()


async def send_confirmation(order_id: int) -> None:
    await asyncio.sleep(1)


@app.post("/orders/{order_id}")
async def create_order(order_id: int):
    asyncio.create_task(send_confirmation(order_id))  # error: FPF504
    return {"ok": True}


@app.post("/orders/{order_id}/retry")
async def retry(order_id: int):
    create_task(send_confirmation(order_id))  # error: FPF504
    ensure_future(send_confirmation(order_id))  # error: FPF504
    asyncio.ensure_future(send_confirmation(order_id))  # error: FPF504


@app.post("/loop/{order_id}")
async def with_loop(order_id: int):
    loop = asyncio.get_running_loop()
    loop.create_task(send_confirmation(order_id))  # error: FPF504
    asyncio.get_event_loop().create_task(send_confirmation(order_id))  # error: FPF504


class Notifier:
    def __init__(self):
        self.loop = asyncio.get_event_loop()

    def notify(self, order_id: int) -> None:
        self.loop.create_task(send_confirmation(order_id))  # error: FPF504


class AuditMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        asyncio.create_task(send_confirmation(0))  # error: FPF504
        return response


async def watcher() -> None:
    while True:
        await asyncio.sleep(5)


def log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception():
        print(task.exception())


@app.post("/callback/{order_id}")
async def with_callback(order_id: int):
    asyncio.create_task(send_confirmation(order_id)).add_done_callback(log_failure)  # error: FPF504


def fire_and_forget(coro) -> None:
    asyncio.ensure_future(coro)  # error: FPF504


@app.on_event("startup")
async def start_watcher():
    asyncio.create_task(watcher())  # error: FPF504


# --- silent ----------------------------------------------------------------------------------

background_tasks = set()


@app.post("/kept/{order_id}")
async def kept(order_id: int):
    task = asyncio.create_task(send_confirmation(order_id))
    background_tasks.add(task)
    task.add_done_callback(background_tasks.discard)
    return {"ok": True}


@app.post("/awaited/{order_id}")
async def awaited(order_id: int):
    await asyncio.create_task(send_confirmation(order_id))
    results = await asyncio.gather(*[asyncio.create_task(send_confirmation(i)) for i in range(3)])
    return results


def spawn(order_id: int) -> asyncio.Task:
    return asyncio.create_task(send_confirmation(order_id))


@app.post("/group")
async def group():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(send_confirmation(1))
        tg.create_task(send_confirmation(2))
    async with anyio.create_task_group() as task_group:
        task_group.start_soon(send_confirmation, 3)


@app.post("/background/{order_id}")
async def background(order_id: int, tasks: BackgroundTasks):
    tasks.add_task(send_confirmation, order_id)


class Scheduler:
    def create_task(self, coro):
        return coro


scheduler = Scheduler()


@app.post("/custom")
async def custom():
    scheduler.create_task(send_confirmation(1))  # not asyncio's


@app.post("/stored")
async def stored():
    app.state.watcher = asyncio.create_task(watcher())
    pending = [asyncio.ensure_future(send_confirmation(i)) for i in range(3)]
    await asyncio.wait(pending)


class Poller:
    def __init__(self):
        self._task = None

    async def start(self):
        self._task = asyncio.create_task(watcher())
        asyncio.ensure_future(self._task)  # the task is already held by self._task
        task = asyncio.create_task(watcher())
        asyncio.ensure_future(task)
        job = contextvars.copy_context().run(asyncio.get_running_loop().create_task, watcher())
        asyncio.ensure_future(job).add_done_callback(lambda _: None)
        return task, job
