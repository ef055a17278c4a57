"""FPF505: functools caches on coroutines (reported instead of FPF502/FPF503)."""
import functools
from functools import cache, lru_cache

from async_lru import alru_cache
from fastapi import FastAPI, Request

app = FastAPI()


@lru_cache  # error: FPF505
async def get_exchange_rate(currency: str) -> float:
    return 1.0


@cache  # error: FPF505
async def fetch_user(user_id: int) -> dict:
    return {"id": user_id}


@functools.lru_cache(maxsize=None)  # error: FPF505
async def load_config() -> dict:
    return {}


@lru_cache(maxsize=32)  # error: FPF505
async def tenant(request: Request) -> str:
    return request.headers["x-tenant"]


class Client:
    @lru_cache  # error: FPF505
    async def token(self) -> str:
        return "t"


# --- silent ----------------------------------------------------------------------------------


@alru_cache(maxsize=32)
async def rates(currency: str) -> float:
    return 1.0


@lru_cache
def sync_config() -> dict:
    return {}


def lru_cache_async(maxsize: int = 128):
    # a hand-written async-aware wrapper: the functools cache decorates a sync function
    def decorator(fn):
        @lru_cache(maxsize=maxsize)
        def cached(*args):
            return fn(*args)

        async def wrapper(*args):
            return await cached(*args)

        return wrapper

    return decorator


@lru_cache_async(maxsize=8)
async def wrapped(x: int) -> int:
    return x
