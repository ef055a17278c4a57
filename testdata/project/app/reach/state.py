"""A class the server builds once and uses per request."""

import time


class Tracker:
    async def record(self):
        time.sleep(0.1)  # error: FPF101
