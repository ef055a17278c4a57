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


# Helpers that run once per process (pattern C of issue 16): a memoized function without
# parameters loads settings on first use; with parameters (request data) or maxsize=0 it is a hop.
import functools  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402


@functools.lru_cache
def cached_settings():
    return requests.get("https://config.example.com").json()


@functools.cache
def cached_client():
    time.sleep(1)  # a slow connect, once
    return object()


@functools.lru_cache(maxsize=0)
def not_cached():
    return requests.get("https://config.example.com").json()


@functools.lru_cache(maxsize=128)
def cached_per_user(user_id):
    return requests.get(f"https://users.example.com/{user_id}").json()


@router.get("/cached/{user_id}")
async def uses_cached_helpers(user_id: str):
    await asyncio.sleep(0)
    cached_settings()
    cached_client()
    not_cached()  # error: FPF107
    cached_per_user(user_id)  # error: FPF107


# Lazy initialisation of a process-wide value (pattern C): runs on the first request only.
_CONFIG = None
_TRANSLATIONS: dict = {}


class _State:
    config = None


state = _State()


def get_config():
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = requests.get("https://config.example.com").json()
    return _CONFIG


def load_translations():
    global _TRANSLATIONS
    if _TRANSLATIONS:
        return _TRANSLATIONS
    with open("locales.json") as fh:
        _TRANSLATIONS = fh.read()
    return _TRANSLATIONS


def ensure_state_config():
    if state.config is None:
        state.config = requests.get("https://config.example.com").json()
    return state.config


def not_a_singleton(client):
    if client.token is None:  # a parameter: every call may take this branch
        client.token = requests.get("https://auth.example.com").text
    return client.token


def guard_without_assignment():
    global _CONFIG
    if _CONFIG is None:
        time.sleep(1)  # nothing set: runs again on every call
    return _CONFIG


@router.get("/lazy")
async def uses_lazy_helpers(client_id: str):
    await asyncio.sleep(0)
    get_config()
    load_translations()
    ensure_state_config()
    not_a_singleton(client_id)  # error: FPF107
    guard_without_assignment()  # error: FPF107


class _Service:
    def __init__(self):
        self._client = None

    async def client(self):
        if self._client is None:  # per instance: the instance may be per request
            self._client = requests.get("https://auth.example.com").text  # error: FPF102
        return self._client


async def lazy_in_coroutine():
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = requests.get("https://config.example.com").json()
    await asyncio.sleep(0)


_LOCALES: dict = {}
_LOCALES_LOCK = threading.Lock()


def load_locales():
    """Double-checked locking: filled on the first call, under a lock."""
    with _LOCALES_LOCK:
        if _LOCALES:
            return
        with open("locales.json") as fh:
            _LOCALES.update(json.load(fh))


def closure_cache():
    cache: dict = {}

    def load():
        if not cache:  # one cache per closure_cache() call: per request
            cache.update(requests.get("https://config.example.com").json())
        return cache

    return load()


@router.get("/locales")
async def uses_locales():
    await asyncio.sleep(0)
    load_locales()
    closure_cache()  # error: FPF107


# What the server runs besides the routes (a registry of handlers): the functions, classes
# and methods named here are reached from an entry point, so their coroutines are served (a
# method of a class the server names runs when served code uses its name).
SERVED = [Repository, Repository.refresh, _Service, _Service.client]
