"""A CRLF file: the copy loop keeps CRLF line endings."""
from fastapi import FastAPI, UploadFile

app = FastAPI(max_body_size=1 << 30)


@app.post("/upload")
async def upload(file: UploadFile):
    # whole
    with open(f"/srv/{file.filename}", "wb") as out:
        while chunk := await file.read(1024 * 1024):
            out.write(chunk)


@app.post("/keep")
async def keep(file: UploadFile):
    data = await file.read()
    with open(f"/srv/{file.filename}", "wb") as out:
        out.write(data)
    return len(data)
