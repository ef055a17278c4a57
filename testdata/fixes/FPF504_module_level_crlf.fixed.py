#!/usr/bin/env python
# a script that also serves an app
from __future__ import annotations

import asyncio as aio

from fastapi import FastAPI

_background_tasks: set[aio.Task] = set()

app = FastAPI()


async def warm_up() -> None:
    ...


loop = aio.get_event_loop()
task_1 = aio.ensure_future(warm_up())
_background_tasks.add(task_1)
task_1.add_done_callback(_background_tasks.discard)
task = None
