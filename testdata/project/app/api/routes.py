"""Endpoints calling sync helpers of other modules, through every import form."""

import asyncio

import app.a.utils
import app.services.remote as r
from app import cycle_a, services
from app.b import utils
from app.ns import tool
from app.services import remote
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ..helpers import load, load_all, parse
from ..other_db import init_db

router = APIRouter()


def load_local(path):
    return remote.fetch(path)


@router.get("/relative")
async def relative(url: str):
    await asyncio.sleep(0)
    parse(url)  # app.helpers.parse does not block
    load(url)  # error: FPF107
    return load_all([url])  # error: FPF107


@router.get("/module")
async def module_attribute(path: str):
    await asyncio.sleep(0)
    remote.describe(path)
    load_local(path)  # error: FPF107
    return remote.fetch(path)  # error: FPF107


@router.get("/alias")
async def alias(path: str):
    await asyncio.sleep(0)
    return r.fetch(path)  # error: FPF107


@router.get("/package")
async def package(path: str):
    await asyncio.sleep(0)
    services.remote.fetch(path)  # error: FPF107
    services.fetch(path)  # error: FPF107
    services.save(path)  # error: FPF107
    return remote.Client.ping()  # error: FPF107


@router.get("/same-names")
async def same_names():
    await asyncio.sleep(0)
    utils.work()  # app.b.utils.work does not block
    app.a.utils.work()  # error: FPF107


@router.get("/namespace")
async def namespace(name: str):
    await asyncio.sleep(0)
    tool.quick(name)
    tool.crunch(name)  # error: FPF107


@router.get("/cycle")
async def cycle(n: int):
    await asyncio.sleep(0)
    cycle_a.spin(n)  # a cycle without a blocking call
    return cycle_a.ping(n)  # error: FPF107


@router.get("/offloaded")
async def offloaded(url: str):
    await init_db()
    return await run_in_threadpool(load, url)
