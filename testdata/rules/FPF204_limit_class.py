"""FPF204: a middleware class of this module that answers 413 limits every upload of the module."""
from fastapi import APIRouter, FastAPI, UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_BYTES = 50 * 1024 * 1024


class Guard:
    """Rejects requests that announce a body larger than MAX_BYTES."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if int(length) > MAX_BYTES:
                await send({"type": "http.response.start", "status": 413, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


app = FastAPI()
router = APIRouter(prefix="/files")
app.add_middleware(Guard)


@router.post("/")
async def upload(file: UploadFile):
    return await file.read()  # error: FPF201


app.include_router(router)
