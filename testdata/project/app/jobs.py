"""Coroutines run outside the server: by a CLI command, by asyncio.run, by the tests only
(pattern A of issue 16), and one that a route awaits too."""

import asyncio
import shutil
import subprocess
import time

import requests


async def rebuild_index():
    subprocess.run(["make", "index"], check=True)  # only run by the CLI, through asyncio.run


async def export_all():
    await rebuild_index()
    shutil.copytree("a", "b")  # only awaited by a CLI command


async def only_tested():
    time.sleep(1)  # awaited by the tests alone


async def shared():
    requests.get("https://example.com", timeout=5)  # error: FPF102


async def main():
    time.sleep(1)  # the worker process: `python -m app.jobs`


if __name__ == "__main__":
    asyncio.run(main())
