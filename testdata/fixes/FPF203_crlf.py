"""A CRLF file."""
from fastapi import FastAPI, HTTPException, UploadFile

app = FastAPI(max_body_size=1 << 30)
LIMIT = 2 * 1024 * 1024


@app.post("/upload")
async def upload(file: UploadFile):
    data = await file.read()
    if len(data) > LIMIT:
        raise HTTPException(413)
    return len(data)
