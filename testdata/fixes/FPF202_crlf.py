"""A CRLF file."""
from fastapi import FastAPI, Request

app = FastAPI()


@app.put("/blob")
async def put(request: Request):
    with open("/srv/blob", "wb") as out:
        out.write(await request.body())
