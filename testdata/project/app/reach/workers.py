"""Work handed to a thread or a process by a nested def or a multiprocessing context: what the
handed function names runs off the server's loop, and is not reached through it."""

import asyncio
import threading
import time
from multiprocessing import get_context

from fastapi import APIRouter

router = APIRouter()


class ThreadWorker:
    async def step(self):
        time.sleep(1)  # on the worker thread's own loop (not reported)


class ProcessPool:
    async def step(self):
        time.sleep(1)  # in the spawned process (not reported)


class Inline:
    async def step(self):
        time.sleep(1)  # error: FPF101


def launch_pool():
    pool = ProcessPool()
    asyncio.run(pool.step())


@router.post("/workers")
async def start_worker():
    def run_with_cleanup():
        worker = ThreadWorker()
        asyncio.run(worker.step())

    threading.Thread(target=run_with_cleanup, daemon=True).start()
    get_context("spawn").Process(target=launch_pool, daemon=True).start()
    return {}


@router.post("/inline")
async def run_inline():
    def run_here():
        return Inline()  # called below, on the server's loop: Inline is live

    threading.Thread(target=run_here).start()
    await run_here().step()
    return {}
