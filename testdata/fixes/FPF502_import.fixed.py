# fix-options: --unsafe-fixes
"""`from functools import cache` becomes `from functools import lru_cache` when nothing else uses it."""
from functools import lru_cache, wraps

from fastapi import FastAPI

from .caching import cache as app_cache

app = FastAPI()


@lru_cache(maxsize=128)
def fetch_page(url: str) -> str:
    return url


@app_cache
def fetch_user(user_id: int) -> str:  # another library's cache: not functools
    return str(user_id)


@app.get("/page")
def page(url: str):
    return fetch_page(url)


@lru_cache(maxsize=128)
def summarize(prompt: str) -> str:
    return prompt[:10]


def plain(func):
    @wraps(func)
    def wrapper(*args):
        return func(*args)

    return wrapper
