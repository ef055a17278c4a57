# fix-options: --unsafe-fixes
"""`FileResponse` is a local class: the response cannot become `FileResponse(path)`."""
import io
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()


class FileResponse:
    ...


@app.get("/report")
def report():
    path = Path("/srv/report.pdf")
    return StreamingResponse(io.BytesIO(path.read_bytes()), media_type="application/pdf")
