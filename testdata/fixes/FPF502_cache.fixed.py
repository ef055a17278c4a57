# fix-options: --unsafe-fixes
"""Unbounded caches keyed by request data get a bound; the spelling of the module is kept."""
import functools
import functools as ft
from functools import cache, lru_cache

from fastapi import FastAPI

app = FastAPI()


@lru_cache(maxsize=128)  # keyed by user
def load_profile(user_id: int) -> dict:
    return {"id": user_id}


@lru_cache(maxsize=128)
def render_markdown(text: str) -> str:
    return text.upper()


@functools.lru_cache(maxsize=128)
def resolve_url(url):
    return url.rstrip("/")


@functools.lru_cache(128, True)
def resolve_typed(url):
    return url


@ft.lru_cache(maxsize=128)
def decode(token: str, audience: str = "api") -> dict:
    return {"sub": token, "aud": audience}


@lru_cache(
    maxsize=128,  # grows forever
    typed=False,
)
def tokenize(prompt: str) -> list[str]:
    return prompt.split()


class Embedder:
    @staticmethod
    @lru_cache(maxsize=128)
    def embed(prompt: str) -> list[float]:
        return [float(len(prompt))]


# --- silent ----------------------------------------------------------------------------------


@cache
def get_timezones() -> tuple[str, ...]:
    return ("UTC",)


@lru_cache(maxsize=1024)
def lookup(user_id: int) -> str:
    return str(user_id)
