"""FPF103: file-system I/O in coroutines."""
import asyncio
import glob
import io
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import aiofiles
from fastapi import FastAPI, UploadFile
from starlette.concurrency import run_in_threadpool

app = FastAPI()  # error: FPF204
BASE_DIR = Path(__file__).parent
UPLOADS = BASE_DIR / "uploads"


@app.get("/read")
async def read_config():
    with open("config.json") as fh:  # error: FPF103
        data = fh.read()
    io.open("other.txt").close()  # error: FPF103
    await aiofiles.os.remove("x")
    return data


@app.post("/upload")
async def upload(file: UploadFile):
    target = UPLOADS / file.filename
    with target.open("wb") as out:  # error: FPF103
        shutil.copyfileobj(file.file, out)  # error: FPF103
    await file.close()
    return {"size": Path(target).stat().st_size}


@app.get("/list")
async def list_uploads():
    names = os.listdir(UPLOADS)  # error: FPF103
    names += glob.glob("*.txt")  # error: FPF103
    text = (BASE_DIR / "README.md").read_text()  # error: FPF103
    files = list(UPLOADS.iterdir())  # error: FPF103
    await run_in_threadpool(os.remove, "tmp")
    return names, text, files


@app.delete("/purge")
async def purge():
    shutil.rmtree(UPLOADS)  # error: FPF103
    os.remove("x.log")  # one metadata system call (as Path.unlink): negligible, not reported
    os.makedirs("logs", exist_ok=True)
    os.replace("a.tmp", "a.json")
    with zipfile.ZipFile("a.zip") as archive:  # error: FPF103
        archive.extractall()
    await run_in_threadpool(shutil.rmtree, UPLOADS)


# --- silent look-alikes -----------------------------------------------------------------

@app.get("/aio")
async def aio_read():
    async with aiofiles.open("config.json") as fh:
        return await fh.read()


@app.get("/sync-read")
def sync_read():
    with open("config.json") as fh:
        return fh.read()


@app.get("/paths")
async def paths():
    # building paths does no I/O
    path = BASE_DIR / "static" / "index.html"
    html = await run_in_threadpool(path.read_text)
    return str(path.with_suffix(".htm")), os.path.join("a", "b"), html


@app.get("/archive")
async def archive_in_memory(data: bytes):
    # a zip or tar in an io.BytesIO buffer is memory work, however the buffer is bound
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    buffer, count = io.BytesIO(), 0
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("names.txt", "\n".join(names))
        count += 1
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names += tar.getnames()
    await run_in_threadpool(os.remove, "tmp")
    return buffer.getvalue(), count


@app.get("/archive-on-disk")
async def archive_on_disk():
    target, mode = UPLOADS / "export.zip", "w"
    with zipfile.ZipFile(target, mode) as out:  # error: FPF103
        out.writestr("a.txt", "a")
    with tarfile.open("export.tar") as tar:  # error: FPF103
        names = tar.getnames()
    await run_in_threadpool(os.remove, "tmp")
    return names


def open_later(name):
    # a nested or module-level sync def is only a problem when a coroutine calls it
    return open(name).read()


@app.get("/avatar/{name}")
async def avatar(name: str):
    # the read runs in a worker thread: the loop only makes the open() system call
    with open(UPLOADS / name, "rb") as source:
        data = await asyncio.to_thread(source.read, 1_000_000)
    with open(UPLOADS / "copy", "wb") as target:
        await run_in_threadpool(target.write, data)
    # but a read on the loop in the same block, or the file handed elsewhere, is not offloaded
    with open(UPLOADS / name, "rb") as source:  # error: FPF103
        header = source.read(16)
        rest = await asyncio.to_thread(source.read)
    with open(UPLOADS / name, "rb") as source:  # error: FPF103
        keep(source)
    return header + rest


def keep(fh):
    return fh
