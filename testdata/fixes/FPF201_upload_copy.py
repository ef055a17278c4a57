"""Uploads only written to a file are copied in chunks instead of being read whole."""
import shutil as sh
import zipfile
from pathlib import Path
from typing import Annotated

import aiofiles
from fastapi import APIRouter, File, HTTPException, UploadFile

router = APIRouter(prefix="/files", max_body_size=1 << 30)
UPLOADS = Path("/srv/uploads")


@router.post("/plain")
async def plain(file: UploadFile):
    # the whole upload, at once
    data = await file.read()  # read it
    with open(UPLOADS / file.filename, "wb") as out:
        out.write(data)  # and write it
    return {"name": file.filename}


@router.post("/many")
async def many(files: list[UploadFile]):
    for upload in files:
        content: bytes = await upload.read()
        target = UPLOADS / upload.filename
        async with aiofiles.open(target, mode="wb") as handle:
            await handle.write(
                content,  # a comment inside the call stays
            )
    return len(files)


@router.post("/direct")
async def direct(file: Annotated[UploadFile, File()]):
    async with aiofiles.open(UPLOADS / "direct.bin", "wb") as out:
        await out.write(await file.read())


@router.post("/suite")
async def suite(file: UploadFile, chunk: int = 0):
    blob = await file.read()
    with open(UPLOADS / "suite.bin", "xb") as out: out.write(blob)  # one line
    return chunk


@router.post("/sync")
def sync(file: UploadFile):
    payload = file.file.read()
    if file.content_type == "application/zip":
        with (UPLOADS / "archive.zip").open("wb") as out:
            out.write(payload)
    else:
        raise HTTPException(415)


@router.post("/sync-async-file")
async def sync_read_async_file(file: UploadFile):
    async with aiofiles.open(UPLOADS / "x.bin", "ab") as out:
        await out.write(file.file.read())


def outer():
    @router.post("/nested")
    async def nested(file: UploadFile):
        data = await file.read()
        with open(UPLOADS / "nested.bin", "wb") as out:
            out.write(data)

    return nested


# --- look-alikes that must not change -------------------------------------------------------

@router.post("/used-twice")
async def used_twice(file: UploadFile):
    data = await file.read()
    with open(UPLOADS / file.filename, "wb") as out:
        out.write(data)
    return {"size": len(data)}


@router.post("/in-a-loop")
async def in_a_loop(file: UploadFile):
    data = await file.read()
    for copy in ("a", "b"):
        with open(UPLOADS / copy, "wb") as out:
            out.write(data)


@router.post("/zip")
async def into_zip(file: UploadFile):
    data = await file.read()
    with zipfile.ZipFile(UPLOADS / "x.zip", "w") as archive:
        archive.write(data)


@router.post("/text-mode")
async def text_mode(file: UploadFile):
    data = await file.read()
    with open(UPLOADS / "x.txt", "w") as out:
        out.write(data)


@router.post("/seek-between")
async def seek_between(file: UploadFile):
    data = await file.read()
    await file.seek(0)
    with open(UPLOADS / "x.bin", "wb") as out:
        out.write(data)


@router.post("/written-after-close")
async def written_after_close(file: UploadFile):
    data = await file.read()
    with open(UPLOADS / "x.bin", "wb") as out:
        pass
    out.write(data)


@router.post("/copyfileobj")
def already_streamed(file: UploadFile):
    with open(UPLOADS / "x.bin", "wb") as out:
        sh.copyfileobj(file.file, out)


@router.post("/bounded")
async def bounded(file: UploadFile):
    with open(UPLOADS / "x.bin", "wb") as out:
        out.write(await file.read(1024))
