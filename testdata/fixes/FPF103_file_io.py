# fix-options: --unsafe-fixes
"""File I/O in coroutines moves to the threadpool; open() only in whole-file shapes."""
import glob
import os
import shutil
import zipfile
from pathlib import Path as P

from fastapi import FastAPI, Path, UploadFile

app = FastAPI()
BASE_DIR = P(__file__).parent
UPLOADS = BASE_DIR / "uploads"
CONFIG = os.path.join("etc", "app.json")


@app.get("/read/{name}")
async def read_config(name: str = Path(...)):
    with open(CONFIG) as fh:
        data = fh.read()
    with open(f"{name}.bin", "rb") as fh:  # raw bytes
        raw = fh.read()
    with open(name, encoding="utf-8") as src: text = src.read()
    with (BASE_DIR / name).open("w", encoding="utf-8", errors="replace") as out:
        out.write(data)
    notes = open(os.path.join(UPLOADS, name), "rt").read()
    await write_log(name)
    return data, raw, text, notes


@app.post("/upload")
async def upload(file: UploadFile):
    target = UPLOADS / file.filename
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    await file.close()
    shutil.copytree(
        UPLOADS,
        UPLOADS.with_name("backup"),
        dirs_exist_ok=True,  # keyword arguments pass through
    )
    names = sorted(UPLOADS.glob("*.txt"))  # consumed on the spot
    return {"size": target.stat().st_size, "names": names}


async def write_log(name):
    os.remove(name + ".log")  # one metadata system call: not blocking enough to report
    names = os.listdir(UPLOADS) + glob.glob("*.txt")
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
