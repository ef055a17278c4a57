"""Every name the chunked copy could use is taken in the endpoint."""
from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/")
async def upload(file: UploadFile, chunk: int = 0, chunk_: int = 0, upload_chunk: int = 0, body_chunk: int = 0):
    data = await file.read()
    with open("/srv/upload.bin", "wb") as out:
        out.write(data)
    return chunk + chunk_ + upload_chunk + body_chunk
