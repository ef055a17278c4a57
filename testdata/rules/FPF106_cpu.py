"""FPF106: CPU-bound work in coroutines."""
import hashlib

import bcrypt
import pandas as pd
from argon2 import PasswordHasher
from fastapi import FastAPI, HTTPException
from fastapi.concurrency import run_in_threadpool
from passlib.context import CryptContext
from passlib.hash import bcrypt as bcrypt_hash
from PIL import Image

app = FastAPI()
pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")
hasher = PasswordHasher()


@app.post("/login")
async def login(password: str, hashed: str):
    if not pwd_context.verify(password, hashed):  # error: FPF106
        raise HTTPException(401)
    await run_in_threadpool(pwd_context.hash, password)
    return {"ok": True}


@app.post("/register")
async def register(password: str):
    salt = bcrypt.gensalt()  # cheap: generating a salt is not hashing
    digest = bcrypt.hashpw(password.encode(), salt)  # error: FPF106
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)  # error: FPF106
    argon = hasher.hash(password)  # error: FPF106
    legacy = bcrypt_hash.hash(password)  # error: FPF106
    await run_in_threadpool(bcrypt.checkpw, password.encode(), digest)
    return digest, key, argon, legacy


@app.post("/thumbnail")
async def thumbnail(path: str):
    image = Image.open(path)  # error: FPF106
    image.thumbnail((128, 128))  # error: FPF106
    image.save(path + ".thumb.png")  # error: FPF106
    frame = pd.read_csv(path)  # error: FPF106
    await run_in_threadpool(frame.describe)
    return frame


# --- silent look-alikes -----------------------------------------------------------------

@app.post("/login-sync")
def login_sync(password: str, hashed: str):
    return pwd_context.verify(password, hashed)


@app.post("/hash-fast")
async def hash_fast(data: bytes):
    digest = hashlib.sha256(data).hexdigest()  # fast hashing is fine
    await run_in_threadpool(bcrypt.hashpw, data, bcrypt.gensalt())
    return digest


@app.post("/sniff")
async def sniff(data: bytes):
    # opening an in-memory buffer reads no disk and parses only the header
    import io
    import zipfile

    image = Image.open(io.BytesIO(data))
    buffer = io.BytesIO(data)
    archive = zipfile.ZipFile(buffer)
    image.convert("RGB")  # error: FPF106
    await run_in_threadpool(image.load)
    return image.format, archive.namelist()
