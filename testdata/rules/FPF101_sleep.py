"""FPF101: time.sleep in coroutines."""
import asyncio
import time
import time as t
from time import sleep
from time import sleep as pause

from fastapi import APIRouter, FastAPI

app = FastAPI()
router = APIRouter(prefix="/jobs")


@app.get("/direct")
async def direct():
    time.sleep(1)  # error: FPF101
    await asyncio.sleep(0)


@router.post("/aliased")
async def aliased():
    t.sleep(0.5)  # error: FPF101
    sleep(1)  # error: FPF101
    pause(2)  # error: FPF101
    await asyncio.sleep(0)


async def plain_coroutine():
    # a coroutine the server runs (named in SERVED below), endpoint or not
    time.sleep(1)  # error: FPF101


class Poller:
    async def poll(self):
        while True:
            time.sleep(5)  # error: FPF101
            await asyncio.sleep(0)


# --- silent look-alikes -----------------------------------------------------------------

@app.get("/sync")
def sync_endpoint():
    time.sleep(1)  # sync endpoints run in FastAPI's threadpool


@app.get("/async-sleep")
async def async_sleep():
    await asyncio.sleep(1)


@app.get("/offloaded")
async def offloaded():
    await asyncio.to_thread(time.sleep, 1)
    await asyncio.get_running_loop().run_in_executor(None, lambda: time.sleep(1))


async def shadowed(time):
    time.sleep(1)  # `time` is a parameter here, not the module


def sync_helper_never_called():
    time.sleep(1)


async def defines_but_does_not_call():
    def later():
        time.sleep(1)

    await asyncio.to_thread(later)


# What the server runs besides the routes (a registry of handlers): the functions, classes
# and methods named here are reached from an entry point, so their coroutines are served (a
# method of a class the server names runs when served code uses its name).
SERVED = [plain_coroutine, Poller, Poller.poll]
