"""Endpoints reading secrets of another module with constant names: only a ``file:`` name can
reach the file read (a chain under constant arguments, across modules)."""

import asyncio

from fastapi import APIRouter

from .vault import get_secret, get_secret_str

router = APIRouter()


@router.get("/keys")
async def keys():
    await asyncio.sleep(0)
    key = get_secret_str("OPENAI_API_KEY")
    base = get_secret("env:OPENAI_API_BASE", "https://api.openai.com")
    return key, base


@router.get("/keys/file")
async def key_from_file(name: str):
    await asyncio.sleep(0)
    key = get_secret_str("file:/run/secrets/openai")  # error: FPF107
    env_file = get_secret("env:file:/run/secrets/base")  # error: FPF107
    named = get_secret_str(name)  # error: FPF107
    return key, env_file, named
