# fix-options: --unsafe-fixes
"""CPU-bound calls in coroutines move to the threadpool."""
import asyncio
import io

import bcrypt
from fastapi import FastAPI, HTTPException
from passlib.context import CryptContext
from PIL import Image
from fastapi.concurrency import run_in_threadpool

app = FastAPI()
pwd_context = CryptContext(schemes=["bcrypt"])


@app.post("/login")
async def login(password: str, hashed: str):
    await asyncio.sleep(0)
    if not (await run_in_threadpool(pwd_context.verify, password, hashed)):
        raise HTTPException(401)
    token = (await run_in_threadpool(bcrypt.hashpw, password.encode(), bcrypt.gensalt())).decode()
    return {"token": token}


@app.post("/thumb")
async def thumb(data: bytes):
    await asyncio.sleep(0)
    image = Image.open(io.BytesIO(data))  # in memory: not flagged
    await run_in_threadpool(image.thumbnail, (64, 64))
    buffer = io.BytesIO()
    await run_in_threadpool(image.save, buffer, format="PNG")
    return buffer.getvalue()


# --- look-alikes that must not change ----------------------------------------------------

@app.post("/sync-login")
def sync_login(password: str, hashed: str):
    return pwd_context.verify(password, hashed)


class Checker:
    def verify(self, a, b):
        return a == b


@app.post("/cheap")
async def cheap(a: str, b: str):
    await asyncio.sleep(0)
    return Checker().verify(a, b)
