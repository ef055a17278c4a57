# fix-options: --unsafe-fixes
"""Unbounded caches keyed by request data get a bound; the spelling of the module is kept."""
import functools
import functools as ft
from functools import cache, lru_cache

from fastapi import FastAPI

app = FastAPI()


@cache  # keyed by user
def load_profile(user_id: int) -> dict:
    return {"id": user_id}


@lru_cache(maxsize=None)
def render_markdown(text: str) -> str:
    return text.upper()


@functools.lru_cache(None)
def resolve_url(url):
    return url.rstrip("/")


@functools.lru_cache(None, True)
def resolve_typed(url):
    return url


@ft.cache
def decode(token: str, audience: str = "api") -> dict:
    return {"sub": token, "aud": audience}


@lru_cache(
    maxsize=None,  # grows forever
    typed=False,
)
def tokenize(prompt: str) -> list[str]:
    return prompt.split()


class Embedder:
    @staticmethod
    @cache
    def embed(prompt: str) -> list[float]:
        return [float(len(prompt))]


# --- silent ----------------------------------------------------------------------------------


@cache
def get_timezones() -> tuple[str, ...]:
    return ("UTC",)


@lru_cache(maxsize=1024)
def lookup(user_id: int) -> str:
    return str(user_id)
