# fix-options: --unsafe-fixes
"""A CRLF file."""
import httpx
from fastapi import Depends, FastAPI

app = FastAPI()


def get_client():
    client = httpx.Client(timeout=10)
    try:
        yield client
    finally:
        client.close()


@app.get("/proxy")
def proxy(client: httpx.Client = Depends(get_client)):
    return client.get("https://example.com").text
