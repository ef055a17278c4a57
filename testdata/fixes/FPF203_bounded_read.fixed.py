"""A size check after a whole read becomes a bounded read of LIMIT + 1 bytes."""
from fastapi import APIRouter, HTTPException, Request, UploadFile, status

from .settings import IMPORTED_LIMIT

router = APIRouter(prefix="/limits", max_body_size=1 << 30)
MAX_SIZE = 10 * 1024 * 1024
MAX_AVATAR: int = 512 * 1024
FRACTION = MAX_SIZE / 2


@router.post("/avatar")
async def avatar(file: UploadFile):
    data = await file.read(MAX_AVATAR + 1)  # the whole upload
    if len(data) > MAX_AVATAR:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "avatar too large")
    return {"bytes": len(data)}


@router.post("/inclusive")
async def inclusive(file: UploadFile):
    contents = await file.read(MAX_SIZE)
    if len(contents) >= MAX_SIZE:
        return {"error": "too large"}
    return {"bytes": len(contents)}


@router.post("/reversed")
async def reversed_check(files: list[UploadFile]):
    sizes = []
    for upload in files:
        blob = await upload.read(5 * 1024 * 1024 + 1)
        size = len(blob)
        if 5 * 1024 * 1024 < size:
            raise HTTPException(413, f"{upload.filename} is too large")
        elif not size:
            raise HTTPException(400, "empty file")
        else:
            sizes.append(size)
    return sizes


@router.post("/shifted")
def shifted(file: UploadFile, limit: int = 4096):
    raw = file.file.read((1 << 20) + 1)
    if len(raw) > 1 << 20:
        raise HTTPException(413)
    head = await_free(raw)
    return head, limit


@router.post("/param-limit")
async def param_limit(file: UploadFile, limit: int = 4096):
    raw = await file.read(
        limit + 1,  # the size
    )
    if len(raw) > limit: raise HTTPException(413)
    return raw[:10]


# --- look-alikes that must not change -------------------------------------------------------

@router.post("/float-limit")
async def float_limit(file: UploadFile):
    data = await file.read()
    if len(data) > FRACTION:
        raise HTTPException(413)
    return len(data)


@router.post("/imported-limit")
async def imported_limit(file: UploadFile):
    data = await file.read()
    if len(data) > IMPORTED_LIMIT:
        raise HTTPException(413)
    return len(data)


@router.post("/size-in-message")
async def size_in_message(file: UploadFile):
    data = await file.read()
    if len(data) > MAX_SIZE:
        raise HTTPException(413, f"{len(data)} bytes is too large")
    return len(data)


@router.post("/warn-only")
async def warn_only(file: UploadFile):
    data = await file.read()
    if len(data) > MAX_SIZE:
        print("large upload")
    return len(data)


@router.post("/caught")
async def caught(file: UploadFile):
    try:
        data = await file.read()
        if len(data) > MAX_SIZE:
            raise ValueError("too large")
    except ValueError:
        return {"size": len(data)}
    return len(data)


@router.post("/body")
async def body(request: Request):
    raw = await request.body()
    if len(raw) > MAX_SIZE:
        raise HTTPException(413)
    return len(raw)


def await_free(data: bytes) -> bytes:
    return data[:16]
