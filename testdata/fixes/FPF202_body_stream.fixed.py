"""Request bodies only written to a file are streamed with request.stream()."""
import tempfile
from pathlib import Path

import aiofiles
import httpx
from fastapi import APIRouter, Request
from fastapi import Request as Req

router = APIRouter(prefix="/blobs")
BLOBS = Path("/srv/blobs")


@router.put("/{name}")
async def put_blob(name: str, request: Request):
    # the whole body
    size = request.headers.get("content-length")
    async with aiofiles.open(BLOBS / name, "wb") as out:
        async for chunk in request.stream():
            await out.write(chunk)
    return {"name": name, "declared": size}


@router.put("/raw/{name}")
async def put_raw(name: str, req: Req):
    spool = tempfile.NamedTemporaryFile(delete=False)
    async for chunk in req.stream():
        spool.write(chunk)  # straight to disk
    spool.close()
    return {"path": spool.name}


@router.post("/decorated")
@router.put("/decorated")
async def decorated(request: Request, chunk: str = ""):
    with open(
        BLOBS / "decorated.bin",
        "wb",
    ) as out:
        async for chunk_ in request.stream():
            out.write(chunk_)
    return chunk


# --- look-alikes that must not change -------------------------------------------------------

@router.put("/and-forwarded")
async def and_forwarded(request: Request):
    body = await request.body()
    async with aiofiles.open(BLOBS / "x", "wb") as out:
        await out.write(body)
    async with httpx.AsyncClient() as client:
        await client.post("https://mirror", content=body)


@router.put("/json-between")
async def json_between(request: Request):
    body = await request.body()
    meta = await request.json()
    async with aiofiles.open(BLOBS / meta["name"], "wb") as out:
        await out.write(body)


@router.put("/appended")
async def appended(request: Request):
    body = await request.body()
    async with aiofiles.open(BLOBS / "log") as out:
        await out.write(body)


@router.post("/proxy")
async def proxy(request: Request):
    async with httpx.AsyncClient() as client:
        return await client.post("https://upstream", content=await request.body())
