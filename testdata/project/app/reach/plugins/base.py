"""The base class of the plugins the server loads by name."""


class Plugin:
    async def run(self):
        raise NotImplementedError
