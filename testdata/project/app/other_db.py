"""A coroutine with the same name as app.config.init_db, awaited by an endpoint."""

import time


async def init_db():
    time.sleep(1)  # error: FPF101
