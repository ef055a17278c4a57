"""FPF504 with the project model: a dropped task matters only if its coroutine can suspend.

A coroutine that never suspends runs to its end in the task's first step, while the loop still
holds the task: nothing of it can be lost.  What it awaits decides, across modules, through
methods of receivers of unknown type (every reached coroutine of that name), and decorators."""

import asyncio

import httpx
from fastapi import APIRouter
from tenacity import retry

from . import task_helpers
from .task_helpers import count_event, flush_later, gauge, ping, tally_twice

router = APIRouter()
COUNTS: dict[str, int] = {}


async def bump(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1  # awaits nothing: done in the task's first step


async def notify(name: str) -> None:
    await asyncio.sleep(1)  # suspends: a library's coroutine


def later():  # a sync function may return any awaitable
    return asyncio.sleep(1)


async def wait_later() -> None:
    await later()


async def walk(n: int) -> None:  # only awaits itself and nothing else: never suspends
    if n:
        await walk(n - 1)


async def tally_here(name: str) -> None:  # awaits a method of an object another module holds
    await task_helpers.metrics.tally(name)


@retry
async def retried() -> None:  # a decorator may wrap it in waits (tenacity sleeps between tries)
    COUNTS["retried"] = 1


class PrometheusHooks:
    async def observe(self, name: str) -> None:
        COUNTS[name] = 1

    async def push(self, name: str) -> None:
        COUNTS[name] = 2


class HttpHooks:
    def __init__(self) -> None:
        self.client = httpx.AsyncClient()

    async def push(self, name: str) -> None:
        await self.client.post("https://example.com/push", json={"name": name})


class Outbox:
    async def send(self, message: str) -> None:
        COUNTS[message] = 1  # quiet, but named like a library client's method


OUTBOXES = {"default": Outbox()}


class Service:
    def __init__(self, hooks) -> None:
        self.hooks = hooks  # which hooks: not known here
        self.lock = asyncio.Lock()

    async def locked(self) -> None:
        async with self.lock:  # may wait for the lock
            COUNTS["locked"] = 1

    async def handle(self, name: str) -> None:
        # every reached `observe` never suspends: silent
        asyncio.create_task(self.hooks.observe(name))
        # one reached `push` posts with httpx: reported
        asyncio.create_task(self.hooks.push(name))  # error: FPF504
        asyncio.create_task(self.locked())  # error: FPF504


@router.post("/tasks/{name}")
async def spawn(name: str):
    asyncio.create_task(bump(name))
    asyncio.create_task(count_event(name))  # another module's coroutine that awaits nothing
    asyncio.ensure_future(gauge(name))  # awaits only a coroutine that awaits nothing
    asyncio.create_task(walk(3))
    asyncio.create_task(task_helpers.metrics.tally(name))  # a method of an object a module holds
    asyncio.create_task(tally_twice(name))
    asyncio.create_task(tally_here(name))
    asyncio.create_task(notify(name))  # error: FPF504
    asyncio.create_task(wait_later())  # error: FPF504
    asyncio.create_task(retried())  # error: FPF504
    asyncio.create_task(flush_later(name))  # error: FPF504
    asyncio.create_task(ping())  # error: FPF504
    # a receiver of unknown type: `send` may be an HTTP or SMTP client's, which waits
    asyncio.create_task(OUTBOXES[name].send(name))  # error: FPF504
    await Service(PrometheusHooks()).handle(name)
    Service(HttpHooks())
    return {}
