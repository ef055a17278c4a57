"""FPF102: blocking network clients in coroutines."""
import asyncio
import smtplib
import socket
import urllib.request
from urllib.request import urlopen

import httpx
import requests
import requests as r
import urllib3
from fastapi import APIRouter, Depends, FastAPI
from fastapi.concurrency import run_in_threadpool

app = FastAPI()
router = APIRouter()
shared_client = httpx.Client(timeout=10)
pool = urllib3.PoolManager()


@app.get("/fetch")
async def fetch(url: str):
    await asyncio.sleep(0)
    return requests.get(url).json()  # error: FPF102


@router.api_route("/proxy", methods=["GET", "POST"])
async def proxy(url: str):
    r.post(url, json={})  # error: FPF102
    httpx.get(url)  # error: FPF102
    shared_client.get(url)  # error: FPF102
    with requests.Session() as session:
        session.get(url)  # error: FPF102
    s = requests.Session()
    s.post(url)  # error: FPF102
    pool.request("GET", url)  # error: FPF102
    urlopen(url)  # error: FPF102
    urllib.request.urlretrieve(url, "/tmp/x")  # error: FPF102
    return await asyncio.sleep(0)


@router.websocket("/ws")
async def ws_endpoint(websocket):
    await websocket.accept()
    data = requests.get("https://example.com").text  # error: FPF102
    await websocket.send_text(data)


async def notify(host: str):
    with smtplib.SMTP(host) as smtp:  # error: FPF102
        smtp.send_message("msg")  # error: FPF102
    socket.getaddrinfo(host, 443)  # error: FPF102


async def probe(host: str, flag: bool):
    sock = socket.socket()
    sock.recv(1)  # error: FPF102
    sock.setblocking(False)
    # non-blocking from here: these return at once (or raise BlockingIOError)
    sock.connect_ex(("127.0.0.1", 8080))
    sock.send(b"ping")
    if flag:
        sock.recv(1)
    sock.connect_ex((host, 8080))  # error: FPF102
    sock.sendto(b"x", ("example.com", 53))  # error: FPF102
    other = socket.socket()
    if flag:
        other.setblocking(False)
    other.recv(1)  # error: FPF102
    await asyncio.sleep(0)


async def probe_switched_back():
    sock = socket.socket()
    sock.settimeout(0)
    sock.recv(1)  # error: FPF102
    sock.settimeout(5)
    await asyncio.sleep(0)


async def probe_rebound(addr):
    sock = socket.socket()
    sock.setblocking(False)
    sock = socket.create_connection(addr)  # error: FPF102
    sock.recv(1)  # error: FPF102
    await asyncio.sleep(0)


async def get_client_info(token: str):
    await asyncio.sleep(0)
    return requests.get("https://auth.example.com", headers={"t": token}).json()  # error: FPF102


@app.get("/me")
async def me(info=Depends(get_client_info)):
    return info


# --- silent look-alikes -----------------------------------------------------------------

@app.get("/async-client")
async def async_client(url: str):
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    return response.json()


@app.get("/threadpool")
async def threadpool(url: str):
    response = await run_in_threadpool(requests.get, url, timeout=5)
    other = await run_in_threadpool(lambda: requests.post(url))
    return response.text + other.text


@app.get("/sync-fetch")
def sync_fetch(url: str):
    return requests.get(url).json()


class AsyncService:
    def __init__(self):
        self.client = httpx.AsyncClient()

    async def get(self, url):
        return await self.client.get(url)  # awaited: an async client


# What the server runs besides the routes (a registry of handlers): the functions and
# classes named here are reached from an entry point, so their coroutines are served.
SERVED = [notify, probe, probe_switched_back, probe_rebound]
