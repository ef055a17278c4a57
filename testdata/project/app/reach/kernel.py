"""A notebook kernel: it runs on a loop of its own, in a thread the server starts."""

import asyncio
import time


class Kernel:
    async def run_cell(self):
        time.sleep(1)  # on the kernel's loop, not the server's (not reported)

    async def serve(self):
        await self.run_cell()


def launch_kernel():
    asyncio.run(Kernel().serve())
