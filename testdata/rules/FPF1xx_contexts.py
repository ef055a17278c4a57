"""Where FPF1xx looks, and where it does not: roles, offloads, scopes, noqa."""
import asyncio
import shutil
import time
from contextlib import asynccontextmanager

import httpx
import requests
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.routing import APIRouter
from starlette import background as background_module
from starlette.background import BackgroundTask
from starlette.background import BackgroundTask as Later
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.routing import Route


@asynccontextmanager
async def lifespan(app):
    # runs before the app serves requests: blocking here delays start-up only
    time.sleep(1)
    yield
    time.sleep(1)


app = FastAPI(lifespan=lifespan)


@app.on_event("startup")
async def warm_up():
    requests.get("https://example.com/warm")


class TimingMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        time.sleep(0.01)  # error: FPF101
        return await call_next(request)


class SubMiddleware(TimingMiddleware):
    async def dispatch(self, request, call_next):
        requests.get("https://audit.example.com")  # error: FPF102
        return await call_next(request)


@app.middleware("http")
async def add_header(request: Request, call_next):
    time.sleep(0.01)  # error: FPF101
    return await call_next(request)


@app.exception_handler(ValueError)
async def on_value_error(request, exc):
    requests.post("https://alerts.example.com", json={"e": str(exc)})  # error: FPF102
    return None


async def added_later():  # error: FPF110
    time.sleep(1)


app.add_api_route("/later", added_later)


async def starlette_endpoint(request):  # error: FPF110
    time.sleep(1)


starlette_app = Starlette(routes=[Route("/", starlette_endpoint)])


def build_router():
    router = APIRouter()

    @router.get("/factory")
    async def from_factory():  # error: FPF110
        time.sleep(1)

    return router


class Client:
    def __init__(self):
        self.http = httpx.Client()
        self.session = requests.Session()

    async def fetch(self, url):
        self.http.get(url)  # error: FPF102
        self.session.get(url)  # error: FPF102
        await asyncio.sleep(0)


@app.get("/noqa")
async def with_noqa():
    time.sleep(1)  # noqa: FPF101
    time.sleep(2)  # noqa
    requests.get(  # noqa: FPF102
        "https://example.com",
    )
    time.sleep(3)  # noqa: FPF102  # error: FPF101
    await asyncio.sleep(0)


@app.post("/background")
async def background(tasks: BackgroundTasks):
    tasks.add_task(requests.post, "https://example.com")
    tasks.add_task(lambda: time.sleep(1))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, time.sleep, 1)
    await asyncio.sleep(0)


def cleanup(paths):
    for path in paths:
        shutil.rmtree(path)


@app.get("/download")
async def download(name: str):
    # Starlette runs a sync background callable (a lambda is one) in its threadpool, after the
    # response, however BackgroundTask is imported
    paths = [name]
    await asyncio.sleep(0)
    response = FileResponse(name, background=BackgroundTask(lambda: cleanup(paths)))
    response.background = background_module.BackgroundTask(lambda: cleanup(paths))
    response.background = Later(lambda: cleanup(paths))
    response.background = BackgroundTask(cleanup, paths)
    return response


@app.get("/download-on-the-loop")
async def download_on_the_loop(name: str):
    paths = [name]
    await asyncio.sleep(0)
    # call_soon runs its callback on the loop; the call inside BackgroundTask(...) runs now
    asyncio.get_running_loop().call_soon(lambda: cleanup(paths))  # error: FPF107
    return FileResponse(name, background=BackgroundTask(cleanup(paths)))  # error: FPF107


@app.get("/wrong-offload")
async def wrong_offload():
    # the call runs on the loop before run_in_threadpool ever sees it
    await asyncio.to_thread(requests.get("https://example.com").json)  # error: FPF102


# What the server runs besides the routes (a registry of handlers): the functions, classes
# and methods named here are reached from an entry point, so their coroutines are served (a
# method of a class the server names runs when served code uses its name).
SERVED = [Client, Client.fetch]
