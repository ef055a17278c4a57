# fix-options: --unsafe-fixes
"""FPF110 and the threadpool fixes together: a sync endpoint keeps its calls as they are."""
import os
import shutil

import requests
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

app = FastAPI()


def load(url):
    return requests.get(url).json()


@app.get("/report")
def report(url: str):
    data = load(url)
    names = os.listdir("/srv")

    async def cleanup():
        await run_in_threadpool(shutil.rmtree, "/tmp/report")

    return data, names, cleanup


async def refresh(url: str):
    os.makedirs("/tmp/cache", exist_ok=True)
    return await run_in_threadpool(load, url)


# What the server runs besides the routes (a registry of handlers): reached from an
# entry point, so served and fixed.
SERVED = [refresh]
