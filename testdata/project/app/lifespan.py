"""The lifespan handler, registered by app.main: FastAPI(lifespan=lifespan)."""

from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app):
    with open("warmup.json") as fh:
        app.state.warmup = fh.read()
    yield


@asynccontextmanager
async def audit_log(path):
    with open(path) as fh:  # error: FPF103
        yield fh
