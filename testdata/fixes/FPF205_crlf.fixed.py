# fix-options: --unsafe-fixes
"""A CRLF file."""
from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()


@app.get("/report")
def report(name: str):
    # open it
    return FileResponse(path=f"/srv/{name}.pdf", media_type="application/pdf")
