"""Coroutines awaited by the startup handler of app.main, and some that are not only that."""

import asyncio
import subprocess
import time

import requests


async def init_db():
    time.sleep(1)  # only awaited by the startup handler


async def warm_cache():
    time.sleep(1)  # error: FPF101


async def setup_all():
    await migrate()


async def migrate():
    subprocess.run(["alembic", "upgrade", "head"], check=True)  # startup -> setup_all -> migrate


async def load_settings():
    with open("settings.toml") as fh:  # awaited through asyncio.gather in the startup handler
        return fh.read()


async def refresh_forever():
    while True:
        requests.get("https://config.example.com", timeout=5)  # error: FPF102
        await asyncio.sleep(60)


async def ping_a():
    await ping_b()
    time.sleep(0.1)  # a cycle the startup handler enters (through ping_b)


async def ping_b():
    await ping_a()


async def loop_c():
    await loop_d()
    time.sleep(0.1)  # a cycle no entry point enters: the server never runs it (not reported)


async def loop_d():
    await loop_c()  # a cycle no handler enters


async def orphan():
    time.sleep(1)  # named nowhere: no entry point reaches it (not reported)


async def passed_around():
    time.sleep(1)  # error: FPF101  (in a registry of a module the app imports: served)


HOOKS = [passed_around]
