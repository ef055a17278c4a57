# fix-options: --unsafe-fixes
"""`run_in_threadpool` is a function of this module that does something else."""
import requests
from fastapi import FastAPI

app = FastAPI()


def run_in_threadpool(job):
    return job


@app.get("/")
async def index(url: str):
    response = requests.get(url, timeout=5)
    await other()
    return response.text


async def other():
    ...
