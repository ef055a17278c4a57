"""Daemons the lifespan starts on a loop of its own, which a thread runs forever."""

import asyncio
import threading
import time


async def gc_daemon():
    while True:
        time.sleep(60)  # on the background loop, not the server's (not reported)
        await asyncio.sleep(60)


def start_daemons(tasks):
    # what is started on a new event loop runs there, in the thread that runs it forever
    background = asyncio.new_event_loop()
    tasks.append(background.create_task(gc_daemon()))
    threading.Thread(target=background.run_forever, daemon=True).start()
