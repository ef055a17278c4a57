"""FPF202: a body given to a function run in a thread is forwarded only if that function writes it."""
import asyncio
import functools
from pathlib import Path

import anyio
import boto3
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool

app = FastAPI()
s3 = boto3.client("s3")
BLOBS = Path("/srv/blobs")


def handle(payload: bytes = b"", data: bytes = b"") -> dict:
    return {"size": len(payload or data)}


# --- offloaded to a function that parses or checks it: not forwarded ------------------------

@app.post("/positional")
async def positional(request: Request):
    body = await request.body()
    return await run_in_threadpool(handle, body)


@app.post("/keyword")
async def keyword(request: Request):
    body = await request.body()
    return await run_in_threadpool(handle, data=body)


@app.post("/to-thread")
async def to_thread(request: Request):
    body = await request.body()
    return await asyncio.to_thread(handle, data=body)


@app.post("/run-sync")
async def run_sync(request: Request):
    body = await request.body()
    return await anyio.to_thread.run_sync(functools.partial(handle, data=body))


@app.post("/executor")
async def executor(request: Request):
    body = await request.body()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(handle, data=body))


# --- offloaded to a write or an upload: still the whole body, written -----------------------

@app.put("/file/{name}")
async def to_file(name: str, request: Request):
    body = await request.body()  # error: FPF202
    await asyncio.to_thread(BLOBS.joinpath(name).write_bytes, body)


@app.put("/s3/{name}")
async def to_s3(name: str, request: Request):
    body = await request.body()  # error: FPF202
    await run_in_threadpool(s3.put_object, Bucket="blobs", Key=name, Body=body)


@app.put("/s3-partial/{name}")
async def to_s3_partial(name: str, request: Request):
    body = await request.body()  # error: FPF202
    await anyio.to_thread.run_sync(functools.partial(s3.put_object, Bucket="blobs", Key=name, Body=body))


@app.put("/s3-lambda/{name}")
async def to_s3_lambda(name: str, request: Request):
    body = await request.body()  # error: FPF202
    await asyncio.to_thread(lambda: s3.put_object(Bucket="blobs", Key=name, Body=body))
