"""A script beside the app: not served."""

import asyncio
import time


async def seed():
    time.sleep(1)
    with open("seed.json") as fh:
        return fh.read()


asyncio.run(seed())
