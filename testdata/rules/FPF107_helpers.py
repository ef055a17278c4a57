"""FPF107: coroutines calling sync helpers of the same module that block."""
import asyncio
import io
import time
import zipfile

import requests
from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool

app = FastAPI()
router = APIRouter()


def load_remote(url):
    return requests.get(url).json()


def load_twice(url):
    first = load_remote(url)
    return first, load_remote(url)


def deep_a(n):
    return deep_b(n)


def deep_b(n):
    return deep_c(n)


def deep_c(n):
    time.sleep(n)


def ping(n):
    # mutual recursion: ping -> pong -> ping ...; pong blocks
    if n:
        return pong(n - 1)
    return None


def pong(n):
    open("/tmp/pong").close()
    return ping(n)


def loop_a(n):
    # a cycle that never blocks
    return loop_b(n)


def loop_b(n):
    return loop_a(n)


def pure(x):
    return x * 2


def generator_helper(path):
    # calling a generator function runs none of its body
    with open(path) as fh:
        yield from fh


def zip_export(files):
    # writes into an in-memory buffer: no file I/O
    output, names = io.BytesIO(), set()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in files:
            names.add(name)
            archive.writestr(name, data)
    return output.getvalue()


def zip_to_disk(files):
    target, mode = "export.zip", "w"
    with zipfile.ZipFile(target, mode) as archive:
        for name, data in files:
            archive.writestr(name, data)


class Repository:
    def _read(self):
        return open("data.json").read()

    def load(self):
        return self._read()

    async def refresh(self):
        self.load()  # error: FPF107
        await asyncio.sleep(0)


@app.get("/data")
async def data():
    await asyncio.sleep(0)
    return load_twice("https://example.com")  # error: FPF107


@router.get("/deep")
async def deep():
    deep_a(1)  # error: FPF107
    ping(3)  # error: FPF107
    await asyncio.sleep(0)


@router.get("/export")
async def export(files: list):
    await asyncio.sleep(0)
    zip_to_disk(files)  # error: FPF107
    return zip_export(files)


@router.get("/nested")
async def nested(url: str):
    def fetch():
        return requests.get(url)

    response = fetch()  # error: FPF107
    await asyncio.sleep(0)
    return response


# --- silent look-alikes -----------------------------------------------------------------

@router.get("/offloaded")
async def offloaded(url: str):
    await run_in_threadpool(load_twice, url)
    await asyncio.to_thread(deep_a, 1)
    loop_a(1)  # a cycle without blocking calls
    pure(2)
    lines = generator_helper("x")
    return lines


@router.get("/sync")
def sync_endpoint():
    return load_twice("https://example.com")


async def async_helper():
    await asyncio.sleep(0)


@router.get("/calls-async-helper")
async def calls_async_helper():
    await async_helper()
