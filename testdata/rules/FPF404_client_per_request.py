"""FPF404: an HTTP client, engine or pool built per request and never closed."""
from contextlib import AsyncExitStack, asynccontextmanager, closing

import aiohttp
import asyncpg
import httpx
import redis
import redis.asyncio as aioredis
from fastapi import BackgroundTasks, Depends, FastAPI, Request, WebSocket
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

shared_transport = httpx.AsyncHTTPTransport(retries=2)
cache_pool = redis.ConnectionPool(host="cache")
http = httpx.AsyncClient(base_url="https://api.example.com")  # module level: built once


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.http = httpx.AsyncClient()
    app.state.engine = create_async_engine("postgresql+asyncpg://app@db/app")
    app.state.redis = aioredis.from_url("redis://cache")
    yield
    await app.state.http.aclose()


app = FastAPI(lifespan=lifespan)


@app.on_event("startup")
async def connect_pool():
    app.state.pool = await asyncpg.create_pool("postgresql://app@db/app")


# ---- findings -----------------------------------------------------------------------------


@app.get("/weather/{city}")
async def weather(city: str):
    client = httpx.AsyncClient()  # error: FPF404
    response = await client.get(f"https://api.example.com/weather/{city}")
    return response.json()


@app.get("/inline")
async def inline(url: str):
    response = await httpx.AsyncClient().get(url)  # error: FPF404
    return response.text


@app.get("/aio")
async def aio(url: str):
    session = aiohttp.ClientSession()  # error: FPF404
    response = await session.get(url)
    return await response.json()


@app.get("/closed-on-success-only")
async def closed_on_success_only(url: str):
    client = httpx.AsyncClient()  # error: FPF404
    response = await client.get(url)  # a timeout here skips the close
    await client.aclose()
    return response.json()


@app.get("/report")
def report():
    engine = create_engine("postgresql://app@db/app")  # error: FPF404
    with engine.connect() as conn:
        return list(conn.execute(text("select 1")))


@app.get("/async-report")
async def async_report():
    engine = create_async_engine("postgresql+asyncpg://app@db/app")  # error: FPF404
    async with engine.connect() as conn:
        return (await conn.execute(text("select 1"))).all()


@app.get("/counter")
async def counter():
    r = aioredis.from_url("redis://cache")  # error: FPF404
    return await r.incr("hits")


@app.get("/sync-counter")
def sync_counter():
    r = redis.Redis(host="cache", port=6379)  # error: FPF404
    return r.incr("hits")


@app.get("/pool")
async def pool_per_request():
    pool = await asyncpg.create_pool("postgresql://app@db/app")  # error: FPF404
    return await pool.fetchval("select 1")


def get_user_agent(request: Request):
    client = httpx.Client()  # error: FPF404
    return client.get("https://ua.example.com", params={"ua": request.headers["user-agent"]}).json()


@app.websocket("/ws")
async def ws_endpoint(websocket: WebSocket):
    await websocket.accept()
    session = aiohttp.ClientSession()  # error: FPF404
    async with session.ws_connect("wss://upstream.example.com") as upstream:
        await websocket.send_text(await upstream.receive_str())


@app.get("/transport-local")
async def transport_local(url: str):
    transport = httpx.AsyncHTTPTransport(retries=3)
    client = httpx.AsyncClient(transport=transport)  # error: FPF404
    return (await client.get(url)).text


@app.get("/ua")
def ua(agent: dict = Depends(get_user_agent)):
    return agent


# ---- silent look-alikes -------------------------------------------------------------------


@app.get("/with")
async def with_client(url: str):
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).json()


@app.get("/with-aiohttp")
async def with_aiohttp(url: str):
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json()


@app.get("/with-variable")
async def with_variable(url: str):
    client = httpx.AsyncClient()
    async with client:
        return (await client.get(url)).json()


@app.get("/finally")
async def closed_in_finally(url: str):
    client = httpx.AsyncClient()
    try:
        return (await client.get(url)).json()
    finally:
        await client.aclose()


@app.get("/engine-disposed")
def engine_disposed():
    engine = create_engine("sqlite:///report.db")
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("select 1")))
    finally:
        engine.dispose()


@app.get("/sync-with")
def sync_with(url: str):
    with httpx.Client() as client:
        return client.get(url).json()


@app.get("/closing")
def with_closing():
    with closing(redis.Redis(host="cache")) as r:
        return r.get("key")


@app.get("/exit-stack")
async def exit_stack(url: str):
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient())
        return (await client.get(url)).json()


@app.get("/shared")
async def shared(url: str, request: Request):
    # the lifespan's client, and the module's
    first = await request.app.state.http.get(url)
    second = await http.get(url)
    return [first.json(), second.json()]


@app.get("/shared-transport")
async def shared_transport_client(url: str):
    # the pool lives in the module-level transport: this client owns nothing
    client = httpx.AsyncClient(transport=shared_transport)
    return (await client.get(url)).json()


@app.get("/shared-redis-pool")
def shared_redis_pool():
    r = redis.Redis(connection_pool=cache_pool)
    return r.get("key")


@app.get("/proxy")
async def proxy(url: str):
    # closed on every way out: in the except clause and by the response's background task
    session = aiohttp.ClientSession()
    try:
        upstream = await session.get(url)
    except aiohttp.ClientError:
        await session.close()
        raise

    async def cleanup():
        upstream.release()
        await session.close()

    return StreamingResponse(upstream.content.iter_any(), background=BackgroundTask(cleanup))


@app.get("/stream")
async def stream(url: str):
    client = httpx.AsyncClient()
    upstream = await client.send(client.build_request("GET", url), stream=True)
    return StreamingResponse(upstream.aiter_raw(), background=BackgroundTask(client.aclose))


async def relay(session: aiohttp.ClientSession, url: str):
    try:
        await session.get(url)
    finally:
        await session.close()


@app.post("/fire-and-forget")
async def fire_and_forget(url: str, background_tasks: BackgroundTasks):
    # handed to a background task that closes it
    session = aiohttp.ClientSession()
    background_tasks.add_task(relay, session, url)
    return {"queued": True}


_lazy_client = None


@app.get("/lazy")
async def lazy(url: str):
    global _lazy_client
    if _lazy_client is None:
        _lazy_client = httpx.AsyncClient()
    return (await _lazy_client.get(url)).json()


class Service:
    def __init__(self, client):
        self.client = client


@app.get("/service")
async def service_owned():
    # handed to another object: its owner decides when to close it
    svc = Service(httpx.AsyncClient(base_url="https://api.example.com"))
    return await svc.client.get("/status")


@app.get("/cached-on-state")
async def cached_on_state(request: Request):
    if not hasattr(request.app.state, "http"):
        request.app.state.http = httpx.AsyncClient()
    return await request.app.state.http.get("https://example.com")


async def get_client():
    # a yield dependency owns it: FPF402 checks how it is closed
    async with httpx.AsyncClient() as client:
        yield client


async def get_returned_client():
    return httpx.AsyncClient()  # FPF401's finding, not this rule's  # error: FPF401


@app.get("/dep")
async def dep(client: httpx.AsyncClient = Depends(get_client), other=Depends(get_returned_client)):
    return (await client.get("https://example.com")).json()


def build_client():
    # a helper, not a path operation: whoever calls it owns the client
    return httpx.AsyncClient()


async def refresh_rates():
    # not a path operation nor a dependency (a scheduled job)
    client = httpx.AsyncClient()
    return await client.get("https://rates.example.com")
