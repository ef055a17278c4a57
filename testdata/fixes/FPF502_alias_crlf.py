# fix-options: --unsafe-fixes
"""A CRLF file, `cache` imported under another name."""
from functools import cache as memo

from fastapi import FastAPI

app = FastAPI()


@memo
def score(sentence: str, weight: float) -> float:
    return len(sentence) * weight


@app.post("/score")
def post_score(text: str):
    return score(text, 1.5)
