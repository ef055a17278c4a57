# fix-options: --unsafe-fixes
"""Waiting for a subprocess in a coroutine moves to the threadpool."""
import asyncio
import subprocess
from subprocess import run as sh

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool as offload

app = FastAPI()


def timed(func):
    return func


@app.post("/convert")
@timed
async def convert(name: str):
    await asyncio.sleep(0)
    await offload(sh, ["ffmpeg", "-i", name, name + ".mp3"], check=True)
    proc = subprocess.Popen(["ls"], stdout=subprocess.PIPE)
    out, _ = await offload(
        # a comment before the argument
        proc.communicate,
        timeout=10
    )
    code = (await offload(subprocess.run, ["true"])).returncode * 2
    return out, code


async def version():
    return (await offload(subprocess.check_output, ["git", "--version"], text=True)).strip()


# --- look-alikes that must not change ----------------------------------------------------

@app.post("/spawn")
async def spawn(name: str):
    proc = await asyncio.create_subprocess_exec("ffmpeg", "-i", name)
    await proc.wait()
    await offload(subprocess.run, ["true"])


def run(args):
    return args


async def not_subprocess():
    return run(["x"])


# What the server runs besides the routes (a registry of handlers): reached from an
# entry point, so served and fixed.
SERVED = [version]
