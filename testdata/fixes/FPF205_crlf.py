# fix-options: --unsafe-fixes
"""A CRLF file."""
from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()


@app.get("/report")
def report(name: str):
    with open(f"/srv/{name}.pdf", "rb") as fh:  # open it
        data = fh.read()
    return Response(content=data, media_type="application/pdf")
