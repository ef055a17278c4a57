#!/usr/bin/env python
# a script that also serves an app
from __future__ import annotations

import asyncio as aio

from fastapi import FastAPI

app = FastAPI()


async def warm_up() -> None:
    ...


loop = aio.get_event_loop()
aio.ensure_future(warm_up())
task = None
