"""File uploads, thumbnails, virus scanning and exports."""
import asyncio
import csv
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
from fastapi import APIRouter, Depends, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import Item, get_async_session
from ..deps import ApiKeyRequired, CurrentUser

router = APIRouter(prefix="/files", tags=["files"])

DATA_DIR = Path(os.environ.get("DATA_DIR", "/var/lib/inventory"))
UPLOAD_DIR = DATA_DIR / "uploads"
THUMB_DIR = DATA_DIR / "thumbs"
EXPORT_DIR = DATA_DIR / "exports"
MANIFEST_PATH = DATA_DIR / "manifest.jsonl"
LIMITS_PATH = DATA_DIR / "upload_limits.json"
SCANNER_URL = "http://clamav-rest.internal:8080"
CDN_URL = "https://cdn-admin.example.com"
MAX_SCAN_ATTEMPTS = 4


def _record_upload(file_id: str, owner_id: int, filename: str, content_type: str | None) -> None:
    entry = {"id": file_id, "owner_id": owner_id, "name": filename, "content_type": content_type}
    with open(MANIFEST_PATH, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


@router.get("/limits")
def upload_limits():
    with open(LIMITS_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@router.post("/", status_code=201)
async def upload_file(file: UploadFile, user: CurrentUser):
    file_id = uuid.uuid4().hex
    data = await file.read()
    await run_in_threadpool((UPLOAD_DIR / file_id).write_bytes, data)
    await run_in_threadpool(_record_upload, file_id, user.id, file.filename or file_id, file.content_type)
    return {"id": file_id, "size": len(data)}


@router.post("/imports", status_code=202)
async def upload_import(file: UploadFile, user: CurrentUser):
    if file.content_type not in ("text/csv", "application/vnd.ms-excel"):
        raise HTTPException(status_code=415, detail="CSV expected")
    dest = UPLOAD_DIR / f"import-{user.id}-{uuid.uuid4().hex}.csv"
    with open(dest, "wb") as out:
        await run_in_threadpool(shutil.copyfileobj, file.file, out)
    await file.close()
    return {"import_file": dest.name, "status": "queued"}


@router.post("/{file_id}/thumbnail")
async def make_thumbnail(file_id: str, user: CurrentUser, size: int = 256):
    src = UPLOAD_DIR / file_id
    dst = THUMB_DIR / f"{file_id}.png"
    proc = await run_in_threadpool(subprocess.run, ["convert", str(src), "-thumbnail", f"{size}x{size}", str(dst)], capture_output=True)
    if proc.returncode != 0:
        raise HTTPException(status_code=422, detail=proc.stderr.decode(errors="replace")[:200])
    async with httpx.AsyncClient(base_url=CDN_URL, timeout=5) as client:
        await client.post("/purge", json={"paths": [f"/thumbs/{file_id}.png"]})
    return {"thumbnail": f"/thumbs/{file_id}.png"}


@router.get("/{file_id}/info")
async def file_info(file_id: str, user: CurrentUser):
    proc = await asyncio.create_subprocess_exec(
        "file", "--brief", "--mime-type", str(UPLOAD_DIR / file_id), stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await proc.communicate()
    if proc.returncode != 0:
        raise HTTPException(status_code=404, detail="File not found")
    return {"id": file_id, "mime_type": stdout.decode().strip()}


@router.post("/{file_id}/scan", dependencies=[ApiKeyRequired])
async def scan_file(file_id: str):
    async with httpx.AsyncClient(base_url=SCANNER_URL, timeout=30) as client:
        for attempt in range(MAX_SCAN_ATTEMPTS):
            resp = await client.post("/scan", json={"path": str(UPLOAD_DIR / file_id)})
            if resp.status_code != 503:
                break
            await asyncio.sleep(2**attempt)
    if resp.status_code != 200:
        raise HTTPException(status_code=502, detail="Scanner unavailable")
    return resp.json()


@router.post("/exports/items")
async def export_items(user: CurrentUser, session: AsyncSession = Depends(get_async_session)):
    result = await session.execute(select(Item).order_by(Item.sku))
    items = result.scalars().all()
    path = EXPORT_DIR / f"items-{user.id}-{int(time.time())}.csv"

    def write_csv() -> None:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "sku", "name", "price_cents"])
            for item in items:
                writer.writerow([item.id, item.sku, item.name, item.price_cents])

    await run_in_threadpool(write_csv)
    return FileResponse(path, media_type="text/csv", filename=path.name)


@router.delete("/{file_id}", status_code=204)
def delete_file(file_id: str, user: CurrentUser) -> None:
    path = UPLOAD_DIR / file_id
    if not path.exists():
        raise HTTPException(status_code=404, detail="File not found")
    os.remove(path)
    (THUMB_DIR / f"{file_id}.png").unlink(missing_ok=True)
