# fix-options: --unsafe-fixes
"""No fix may put `await` where it cannot go: these calls stay as they are."""
import threading
import time

import requests
from fastapi import FastAPI, Request

app = FastAPI()
lock = threading.Lock()


@app.get("/lambda")
async def in_lambda():
    wait = lambda: time.sleep(1)  # an await in a lambda is a SyntaxError
    fetch = lambda url: requests.get(url, timeout=5)
    wait()
    await other()
    return fetch("https://example.com")


@app.get("/genexp")
async def in_generator_expression(xs: list[int]):
    # an await would make these async generators: sum() and any() would raise TypeError
    total = sum(time.sleep(x) or 1 for x in xs)
    ok = any(requests.get(str(x), timeout=5).ok for x in xs)
    await other()
    return total, ok


@app.get("/class")
async def in_class_body():
    class Settings:
        pause = time.sleep(0)  # a class body cannot await

    await other()
    return Settings


@app.get("/nested")
async def in_decorator_and_default():
    def decorate(f):
        return f

    @decorate(time.sleep(0))  # evaluated in the coroutine, but part of a def statement
    def inner(delay=time.sleep(0)):
        return delay

    await other()
    return inner


@app.get("/lock")
async def under_a_thread_lock():
    with lock:
        time.sleep(0.1)  # awaiting here would hold the thread lock across a suspension
    await other()


@app.middleware("http")
async def middleware(request: Request, call_next):
    respond = lambda: call_next(request)  # noqa: FPF302 the lambda's result is awaited below
    return await respond()


async def other():
    ...
