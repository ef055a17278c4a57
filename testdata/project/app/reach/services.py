"""Methods only the lifespan awaits run once, at startup or shutdown: not reported.  A method of
that name awaited anywhere else (on a receiver of unknown type too) keeps it reported."""

import time
from contextlib import asynccontextmanager

from fastapi import APIRouter

router = APIRouter()


class ConfigService:
    async def load_config(self):
        time.sleep(1)  # only the lifespan awaits `load_config` (not reported)
        await self.load_plugins()

    async def load_plugins(self):
        time.sleep(1)  # only `load_config` awaits it (not reported)

    async def close_pool(self):
        time.sleep(1)  # only after the lifespan's yield (not reported)

    async def refresh(self):
        time.sleep(0.1)  # error: FPF101


class Cache:
    async def warm_cache(self):
        time.sleep(1)  # error: FPF101


class Job:
    async def stage_inputs(self):
        time.sleep(0.1)  # error: FPF101

    async def run(self):
        await self.stage_inputs()


class NightlyJob(Job):
    async def stage_inputs(self):
        time.sleep(0.1)  # error: FPF101  (the lifespan awaits it, and so may Job.run: `self.stage_inputs()`)


config_service = ConfigService()
cache = Cache()
nightly = NightlyJob()
JOBS = {"nightly": nightly}


@asynccontextmanager
async def services_lifespan(app):
    await config_service.load_config()
    await cache.warm_cache()
    await nightly.stage_inputs()
    await seed_defaults()
    yield
    await config_service.close_pool()


@router.get("/config")
async def get_config(store, client):
    await config_service.refresh()
    await client.seed_defaults()  # a parameter's method: not the module's seed_defaults
    await store.warm_cache()  # a receiver of unknown type: it may be a Cache
    return {}


@router.post("/jobs/{name}")
async def run_job(name: str):
    await JOBS[name].run()


async def seed_defaults():
    time.sleep(1)  # only the lifespan awaits it (not reported)
