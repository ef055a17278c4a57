import asyncio

from fastapi import FastAPI

from . import config
from .api.routes import router
from .config import init_db, warm_cache
from .lifespan import lifespan
from .reach.routes import router as reach_router

app = FastAPI(lifespan=lifespan)
TASKS = set()
app.include_router(router)
app.include_router(reach_router)


@app.on_event("startup")
async def startup():
    await init_db()
    await config.setup_all()
    await asyncio.gather(config.load_settings(), warm_cache())
    TASKS.add(asyncio.create_task(config.refresh_forever()))
    await config.ping_b()


@app.get("/warm")
async def warm():
    await warm_cache()
    return {}


@app.get("/shared")
async def shared_route():
    from .jobs import shared

    await shared()
    return {}
