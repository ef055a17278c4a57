"""FPF304: buffering only for error responses is not flagged; under another condition it is."""
import logging

from fastapi import FastAPI, Request, Response, status
from starlette.middleware.base import BaseHTTPMiddleware

app = FastAPI()
log = logging.getLogger(__name__)


# --- error responses only: silent ----------------------------------------------------------

class LogErrors(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        if response.status_code >= 400:
            body = b"".join([chunk async for chunk in response.body_iterator])
            log.warning("%s: %s", response.status_code, body)
            return Response(body, status_code=response.status_code, headers=dict(response.headers))
        return response


class LogErrorsAfterEarlyReturn(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        if response.status_code < status.HTTP_400_BAD_REQUEST:
            return response
        chunks = []
        async for chunk in response.body_iterator:
            chunks.append(chunk)
        log.warning("%s: %s", response.status_code, b"".join(chunks))
        return Response(b"".join(chunks), status_code=response.status_code)


@app.middleware("http")
async def log_failures(request: Request, call_next):
    try:
        return await call_next(request)
    except Exception:
        log.exception("failed on %s", await request.body())
        raise


# --- one path, one method, one content type: reported, with the condition -------------------

@app.middleware("http")
async def check_upload(request: Request, call_next):
    if request.url.path.startswith("/upload"):
        body = await request.body()  # error: FPF304
        if not body.startswith(b"--"):
            return Response(status_code=422)
    return await call_next(request)


@app.middleware("http")
async def audit_writes(request: Request, call_next):
    if request.method in ("GET", "HEAD"):
        return await call_next(request)
    payload = await request.json()  # error: FPF304
    log.info("write: %s", payload)
    return await call_next(request)


class RewriteHtml(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        if response.status_code == 200 and response.headers.get("content-type", "").startswith("text/html"):
            body = b"".join([chunk async for chunk in response.body_iterator])  # error: FPF304
            return Response(body.replace(b"</head>", b"<script></script></head>"), status_code=200)
        return response


# --- every request ------------------------------------------------------------------------

@app.middleware("http")
async def signed(request: Request, call_next):
    if "x-signature" not in request.headers:
        return Response(status_code=401)  # a rejection: the requests that go on are all read
    body = await request.body()  # error: FPF304
    log.debug("%d bytes", len(body))
    return await call_next(request)


@app.middleware("http")
async def verify(request: Request, call_next):
    body = await request.body()  # error: FPF304
    payload = await request.json()  # the same body, which Starlette keeps: one finding
    log.debug("%d bytes, %d keys", len(body), len(payload))
    return await call_next(request)
