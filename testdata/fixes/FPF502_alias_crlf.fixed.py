# fix-options: --unsafe-fixes
"""A CRLF file, `cache` imported under another name."""
from functools import lru_cache

from fastapi import FastAPI

app = FastAPI()


@lru_cache(maxsize=128)
def score(sentence: str, weight: float) -> float:
    return len(sentence) * weight


@app.post("/score")
def post_score(text: str):
    return score(text, 1.5)
