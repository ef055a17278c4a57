"""Entry points; what they name is served, the rest of this package is not."""

import importlib
import threading
from contextlib import asynccontextmanager

from fastapi import APIRouter, Request

from .daemons import start_daemons
from .kernel import launch_kernel
from .plugins.base import Plugin
from .registry import HANDLERS
from .state import Tracker

router = APIRouter()


@router.post("/kernel")
async def start_kernel():
    # the kernel runs in a thread of its own, on a loop of its own: not on the server's loop
    threading.Thread(target=launch_kernel, daemon=True).start()
    return {}


@router.post("/plugins/{name}")
async def run_plugin(name: str):
    # plugins are loaded by name: their classes are named nowhere, but derive from Plugin
    module = importlib.import_module(f"app.reach.plugins.{name}")
    plugin: Plugin = module.PLUGIN
    if isinstance(plugin, Plugin):
        await plugin.run()
    return {}


@router.post("/events/{kind}")
async def handle(kind: str):
    await HANDLERS[kind]()
    return {}


@router.get("/track")
async def track(request: Request):
    # an object the lifespan built, used through app.state: its class is live
    await request.app.state.tracker.record()
    return {}


@asynccontextmanager
async def tracker_lifespan(app):
    app.state.tracker = Tracker()
    start_daemons(app.state.tasks)
    yield
