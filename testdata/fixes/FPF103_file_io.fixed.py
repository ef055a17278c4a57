# fix-options: --unsafe-fixes
"""File I/O in coroutines moves to the threadpool; open() only in whole-file shapes."""
import glob
import os
import shutil
import zipfile
from pathlib import Path as P

from fastapi import FastAPI, Path, UploadFile
from fastapi.concurrency import run_in_threadpool

app = FastAPI()
BASE_DIR = P(__file__).parent
UPLOADS = BASE_DIR / "uploads"
CONFIG = os.path.join("etc", "app.json")


@app.get("/read/{name}")
async def read_config(name: str = Path(...)):
    data = await run_in_threadpool(P(CONFIG).read_text)
    raw = await run_in_threadpool(P(f"{name}.bin").read_bytes)  # raw bytes
    text = await run_in_threadpool(P(name).read_text, encoding="utf-8")
    await run_in_threadpool((BASE_DIR / name).write_text, data, encoding="utf-8", errors="replace")
    notes = await run_in_threadpool(P(os.path.join(UPLOADS, name)).read_text)
    await write_log(name)
    return data, raw, text, notes


@app.post("/upload")
async def upload(file: UploadFile):
    target = UPLOADS / file.filename
    with target.open("wb") as out:
        await run_in_threadpool(shutil.copyfileobj, file.file, out)
    await file.close()
    await run_in_threadpool(
        shutil.copytree,
        UPLOADS,
        UPLOADS.with_name("backup"),
        dirs_exist_ok=True,  # keyword arguments pass through
    )
    names = await run_in_threadpool(lambda: sorted(UPLOADS.glob("*.txt")))  # consumed on the spot
    return {"size": target.stat().st_size, "names": names}


async def write_log(name):
    os.remove(name + ".log")  # one metadata system call: not blocking enough to report
    names = (await run_in_threadpool(os.listdir, UPLOADS)) + (await run_in_threadpool(glob.glob, "*.txt"))
    return names


# --- look-alikes that must not change ----------------------------------------------------

@app.get("/unknown")
async def unknown(handle):
    await write_log("x")
    with open(handle) as fh:  # might be a file descriptor: Path() does not take it
        data = fh.read()
    with open("a.txt") as fh:  # the file object is used after the block
        first = fh.read()
    print(fh.closed)
    with open("b.txt") as fh:  # two statements
        first = fh.readline()
        rest = fh.read()
    with zipfile.ZipFile("a.zip") as archive:
        archive.extractall()
    for entry in UPLOADS.iterdir():  # a lazy iterator consumed by the loop
        print(entry)
    handle = open("c.txt", "w")
    return data, first, rest, handle


@app.get("/sync")
def sync_read():
    with open("config.json") as fh:
        return fh.read()
