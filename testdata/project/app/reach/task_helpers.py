"""Coroutines the tasks of tasks.py run, in another module."""

import asyncio

from .client_sdk import remote_ping

EVENTS: list[str] = []


async def count_event(name: str) -> None:
    EVENTS.append(name)


async def gauge(name: str) -> None:
    await count_event(name)


async def flush_later(name: str) -> None:
    await asyncio.sleep(5)
    EVENTS.clear()


async def ping() -> None:
    await remote_ping()


class Metrics:
    async def tally(self, name: str) -> None:
        EVENTS.append(name)


metrics = Metrics()  # an object the module holds: its methods are known by their names


async def tally_twice(name: str) -> None:
    await metrics.tally(name)
    await metrics.tally(name)
