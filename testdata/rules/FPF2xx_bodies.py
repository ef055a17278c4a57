"""FPF201-FPF205: uploads and bodies held whole in memory."""
import io
import shutil
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, Response, StreamingResponse

MAX_SIZE = 10 * 1024 * 1024
app = FastAPI()
router = APIRouter(prefix="/files")  # error: FPF204
limited = APIRouter(prefix="/limited", max_body_size=5 * 1024 * 1024)
limited_app = FastAPI(max_body_size=100 * 1024 * 1024)
included = APIRouter()
EXPORTS = Path("/srv/exports")


@router.post("/upload")
async def upload(file: UploadFile):
    data = await file.read()  # error: FPF201
    with open(f"/srv/{file.filename}", "wb") as out:  # error: FPF103
        out.write(data)


@router.post("/many")
async def upload_many(files: list[UploadFile]):
    for f in files:
        content = await f.read()  # error: FPF201
        await store(content)


@router.post("/sync")
def upload_sync(file: Annotated[UploadFile, File()]):
    return file.file.read()  # error: FPF201


@router.post("/form")
async def upload_form(request: Request):
    form = await request.form()
    upload = form["file"]
    return await upload.read()  # error: FPF201


@router.post("/checked-late")
async def checked_late(file: UploadFile):
    data = await file.read()  # error: FPF203
    if len(data) > MAX_SIZE:
        raise HTTPException(413, "too large")
    return len(data)


@router.post("/checked-late-body")
async def checked_late_body(request: Request):
    body = await request.body()  # error: FPF203
    size = len(body)
    if size > MAX_SIZE:
        raise HTTPException(413)
    return size


@router.put("/blobs/{name}")
async def put_blob(name: str, request: Request):
    body = await request.body()  # error: FPF202
    await store(body)
    with open(f"/srv/blobs/{name}", "wb") as out:  # error: FPF103
        out.write(body)


@router.post("/proxy")
async def proxy(request: Request):
    async with httpx.AsyncClient() as client:
        return await client.post("https://upstream", content=await request.body())  # error: FPF202


@router.api_route("/relay/{path}", methods=["POST", "PUT"])
async def relay(path: str, request: Request):
    # one body (Starlette reads it once and keeps it), one client, one finding
    async with httpx.AsyncClient() as client:
        if request.method == "POST":
            return await client.post(f"https://upstream/{path}", content=await request.body())  # error: FPF202
        return await client.put(f"https://upstream/{path}", content=await request.body())


@router.get("/export")
async def export():
    await store(b"")
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in EXPORTS.iterdir():  # error: FPF103
            archive.write(path)
    buffer.seek(0)
    return StreamingResponse(buffer, media_type="application/zip")  # error: FPF205


@router.get("/export2")
def export2():
    data = (EXPORTS / "x.csv").read_bytes()
    first = StreamingResponse(io.BytesIO(data))  # error: FPF205
    second = StreamingResponse(iter([data]))  # error: FPF205
    return first, second


@router.get("/download/{name}")
def download(name: str):
    with open(EXPORTS / name, "rb") as fh:
        content = fh.read()
    also = Response((EXPORTS / name).read_bytes(), media_type="application/pdf")  # error: FPF205
    return Response(content=content, media_type="application/octet-stream"), also  # error: FPF205


@router.get("/report/{name}")
def report(name: str):
    data = (EXPORTS / name).read_bytes()
    text = data.decode("latin-1")  # another name: `data` is still the file
    return Response(data, headers={"X-Lines": str(text.count("\n"))})  # error: FPF205


# --- silent look-alikes -----------------------------------------------------------------

@limited.post("/chunked")
async def chunked(file: UploadFile):
    with open(f"/srv/{file.filename}", "wb") as out:  # error: FPF103
        while chunk := await file.read(1024 * 1024):
            out.write(chunk)


@limited.post("/bounded")
async def bounded(file: UploadFile):
    data = await file.read(MAX_SIZE + 1)
    if len(data) > MAX_SIZE:
        raise HTTPException(413)
    return data


@limited.post("/size-first")
async def size_first(file: UploadFile):
    if file.size is not None and file.size > MAX_SIZE:
        raise HTTPException(413)
    return await file.read()


@limited.post("/copy")
def copy(file: UploadFile, note: str = Form("")):
    with open(f"/srv/{file.filename}", "wb") as out:
        shutil.copyfileobj(file.file, out)


@app.post("/webhook")
async def webhook(request: Request):
    # verify a signature and parse a small payload: not written or forwarded whole
    import hashlib
    import hmac
    import json

    body = await request.body()
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-signature", "")):
        raise HTTPException(401)
    return json.loads(body)


@limited_app.post("/app-limited")
async def app_limited(request: Request, file: UploadFile):
    body = await request.body()  # the app sets max_body_size
    await store(body)


@included.post("/included")
async def included_upload(request: Request, file: UploadFile):
    body = await request.body()  # included in an app that sets max_body_size
    await store(body)


@limited.get("/files/{name}")
async def serve(name: str):
    return FileResponse(EXPORTS / name)


@limited.get("/stream")
async def stream():
    async def rows():
        for i in range(10):
            yield f"{i}\n"

    def sync_rows():
        yield "a\n"

    return StreamingResponse(rows()), StreamingResponse(sync_rows())


@limited.get("/avatar")
async def avatar(encoded: str):
    import base64

    # the bytes only exist in memory: no alternative would save any
    image = io.BytesIO(base64.b64decode(encoded))
    await store(b"")
    return StreamingResponse(image, media_type="image/png")


@limited.get("/page")
def page():
    # a template with a tag injected: a new text, which no FileResponse could send
    html = (EXPORTS / "index.html").read_text()
    html = html.replace("<head>", '<head><base href="/app/">')
    return Response(html, media_type="text/html")


@limited.get("/page-footer")
def page_footer():
    body = (EXPORTS / "index.html").read_bytes()
    body += b"<!-- served by app -->"
    return Response(content=body, media_type="text/html")


@limited.get("/compressed")
def compressed():
    import gzip

    data = (EXPORTS / "x.csv").read_bytes()
    data = gzip.compress(data)
    return StreamingResponse(io.BytesIO(data), media_type="application/gzip")


@limited.get("/html")
async def html():
    from fastapi.responses import HTMLResponse

    await store(b"")
    return HTMLResponse(content="<h1>hi</h1>")


async def store(data: bytes) -> None:
    ...


def not_an_upload(stream):
    return stream.read()  # an unknown object: nothing to say


app.include_router(router)
app.include_router(limited)
limited_app.include_router(included)
