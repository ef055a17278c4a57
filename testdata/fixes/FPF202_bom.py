"""A file with a UTF-8 BOM: « corps »."""
from fastapi import FastAPI, Request

app = FastAPI()


@app.put("/é/{name}")
async def put(name: str, request: Request):
    corps = await request.body()  # « tout le corps »
    with open(f"/srv/{name}", "wb") as sortie:
        sortie.write(corps)


@app.put("/kept")
async def kept(request: Request):
    corps = await request.body()
    with open("/srv/kept", "wb") as sortie:
        sortie.write(corps[:10])
