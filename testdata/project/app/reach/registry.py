"""Handlers registered by a decorator: the server calls them through the registry."""

import time


class Registry(dict):
    def register(self, kind):
        def add(fn):
            self[kind] = fn
            return fn

        return add


HANDLERS = Registry()


@HANDLERS.register("signup")
async def on_signup():
    time.sleep(1)  # error: FPF101
