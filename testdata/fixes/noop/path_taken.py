# fix-options: --unsafe-fixes
"""`Path` and `pathlib` both mean something else: `open(p).read()` cannot become `Path(p).read_text`."""
from fastapi import FastAPI

app = FastAPI()
Path = str
pathlib = None


@app.get("/")
async def index(name: str):
    text = open(f"/srv/{name}.txt").read()
    await other()
    return text


async def other():
    ...
