# fix-options: --unsafe-fixes
"""`lru_cache` is a variable and functools is not imported as a module: `@cache` stays."""
from functools import cache

from fastapi import FastAPI

app = FastAPI()
lru_cache = {}


@cache
def profile(user_id: int) -> dict:
    return {"id": user_id}


@app.get("/users/{user_id}")
def user(user_id: int):
    return profile(user_id)
