"""FPF104: waiting for subprocesses in coroutines."""
import asyncio
import os
import subprocess
from os import WNOHANG
from subprocess import check_output as co

from fastapi import FastAPI

app = FastAPI()


@app.post("/convert")
async def convert(name: str):
    subprocess.run(["ffmpeg", "-i", name], check=True)  # error: FPF104
    version = co(["ffmpeg", "-version"])  # error: FPF104
    proc = subprocess.Popen(["sleep", "1"])  # starting a process does not wait for it
    proc.wait()  # error: FPF104
    os.system("sync")  # error: FPF104
    await asyncio.sleep(0)
    return version


@app.post("/waits")
async def waits(pid: int):
    subprocess.Popen(["sleep", "1"]).wait()  # error: FPF104
    out, _ = subprocess.Popen(["ls"], stdout=subprocess.PIPE).communicate()  # error: FPF104
    with subprocess.Popen(["ls"], stdout=subprocess.PIPE) as lister:
        listing = lister.stdout.read()  # error: FPF104
    tail = subprocess.Popen(["tail", "-1", "log"], stderr=subprocess.PIPE)
    tail.stderr.readline()  # error: FPF104
    os.waitpid(pid, 0)  # error: FPF104
    os.waitpid(pid, os.WUNTRACED)  # error: FPF104
    await asyncio.sleep(0)
    return out, listing


def communicate_with_timeout(process: "subprocess.Popen[str]", timeout: float = 5) -> tuple[str, str]:
    return process.communicate(timeout=timeout)


def node_version() -> str:
    process = subprocess.Popen(["node", "--version"], stdout=subprocess.PIPE, text=True)
    return communicate_with_timeout(process)[0]


@app.get("/status")
async def status():
    await asyncio.sleep(0)
    return {"node": node_version()}  # error: FPF107


class Server:
    def __init__(self):
        self.process = subprocess.Popen(["server"])

    async def stop(self):
        self.process.terminate()
        self.process.wait()  # error: FPF104
        await asyncio.sleep(0)


# --- silent look-alikes -----------------------------------------------------------------

@app.post("/convert-async")
async def convert_async(name: str):
    proc = await asyncio.create_subprocess_exec("ffmpeg", "-i", name)
    await proc.wait()
    await asyncio.to_thread(subprocess.run, ["ls"], check=True)


@app.post("/start")
async def start(name: str):
    # Popen only forks and execs: the process runs on while the loop goes on
    proc = subprocess.Popen(["ffmpeg", "-i", name], stdout=subprocess.DEVNULL)
    await asyncio.get_running_loop().run_in_executor(None, proc.wait)
    return proc.pid


@app.post("/reap")
async def reap(pid: int):
    # WNOHANG: waitpid returns at once when no child has exited
    os.waitpid(-1, os.WNOHANG)
    os.waitpid(pid, WNOHANG)
    os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
    os.waitpid(pid, 1)
    await asyncio.sleep(0)


@app.post("/convert-sync")
def convert_sync(name: str):
    subprocess.run(["ffmpeg", "-i", name], check=True)


# What the server runs besides the routes (a registry of handlers): the functions, classes
# and methods named here are reached from an entry point, so their coroutines are served (a
# method of a class the server names runs when served code uses its name).
SERVED = [Server, Server.stop]
