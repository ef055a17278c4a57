# fix-options: --unsafe-fixes
"""Files read whole into a (streaming) response are served with FileResponse."""
import io
import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response, StreamingResponse

router = APIRouter(prefix="/downloads")
EXPORTS = Path("/srv/exports")


@router.get("/csv")
def export_csv():
    return FileResponse(EXPORTS / "report.csv", media_type="text/csv")


@router.get("/pdf/{name}")
def pdf(name: str):
    return FileResponse(
        path=EXPORTS / name,  # the whole file
        media_type="application/pdf",
        headers={"Cache-Control": "no-store"},
    )


@router.get("/opened/{name}")
def opened(name: str):
    path = EXPORTS / name
    # read the file
    response = FileResponse(path, 200, media_type="application/octet-stream")
    response.headers["X-Name"] = name
    return response


@router.get("/iter")
def iterated():
    return FileResponse(EXPORTS / "log.txt", status_code=200)


@router.get("/bound")
def bound():
    return FileResponse(path=Path("/srv/static/logo.png"), media_type="image/png")


# --- look-alikes that must not change -------------------------------------------------------

@router.get("/temporary")
def temporary():
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.bin"
        target.write_bytes(b"...")
        return StreamingResponse(io.BytesIO(target.read_bytes()))


@router.get("/used-twice")
def used_twice():
    data = (EXPORTS / "x.csv").read_bytes()
    return Response(content=data, headers={"Content-Length": str(len(data))})


@router.get("/text")
def text():
    return Response(content=(EXPORTS / "x.txt").read_text(), media_type="text/plain")


@router.get("/memory")
def memory():
    return StreamingResponse(io.BytesIO(b"generated"), media_type="application/octet-stream")


@router.get("/body-used")
def body_used():
    response = Response(content=(EXPORTS / "x.bin").read_bytes())
    print(response.body)
    return response


@router.get("/page")
def page():
    html = (EXPORTS / "index.html").read_bytes()
    html = html.replace(b"<head>", b'<head><base href="/app/">')  # a new text, not the file
    return Response(html, media_type="text/html")
