"""A plugin loaded by name (importlib): named nowhere, but a Plugin."""

import time

from .base import Plugin


class Resize(Plugin):
    async def run(self):
        time.sleep(1)  # error: FPF101


PLUGIN = Resize()
