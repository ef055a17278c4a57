"""FPF104: waiting for subprocesses in coroutines."""
import asyncio
import os
import subprocess
from subprocess import check_output as co

from fastapi import FastAPI

app = FastAPI()


@app.post("/convert")
async def convert(name: str):
    subprocess.run(["ffmpeg", "-i", name], check=True)  # error: FPF104
    version = co(["ffmpeg", "-version"])  # error: FPF104
    proc = subprocess.Popen(["sleep", "1"])  # error: FPF104
    proc.wait()  # error: FPF104
    os.system("sync")  # error: FPF104
    await asyncio.sleep(0)
    return version


# --- silent look-alikes -----------------------------------------------------------------

@app.post("/convert-async")
async def convert_async(name: str):
    proc = await asyncio.create_subprocess_exec("ffmpeg", "-i", name)
    await proc.wait()
    await asyncio.to_thread(subprocess.run, ["ls"], check=True)


@app.post("/convert-sync")
def convert_sync(name: str):
    subprocess.run(["ffmpeg", "-i", name], check=True)
