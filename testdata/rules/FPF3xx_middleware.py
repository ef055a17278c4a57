"""FPF301-FPF304: middleware."""
import asyncio
import logging

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import StreamingResponse

app = FastAPI()
log = logging.getLogger(__name__)


class SyncTiming(BaseHTTPMiddleware):
    def dispatch(self, request, call_next):  # error: FPF301
        return call_next(request)  # error: FPF302


class Forgetful(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        response = call_next(request)  # error: FPF302
        return response


@app.middleware("http")
def sync_header(request: Request, call_next):  # error: FPF303
    return call_next(request)  # error: FPF302


class LogBodies(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        payload = await request.body()  # error: FPF304
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # error: FPF304
        log.info("%s %s", payload, body)
        return Response(body, status_code=response.status_code)


class Concatenating(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        body = b""
        async for chunk in response.body_iterator:  # error: FPF304
            body += chunk
        return Response(body, status_code=response.status_code, headers=dict(response.headers))


@app.middleware("http")
async def collect(request: Request, call_next):
    response = await call_next(request)
    chunks = []
    async for part in response.body_iterator:  # error: FPF304
        chunks.append(part)
    return Response(b"".join(chunks))


class Base(BaseHTTPMiddleware):
    pass


class Derived(Base):
    def dispatch(self, request, call_next):  # error: FPF301
        ...


# --- silent look-alikes -----------------------------------------------------------------

class Timing(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        response.headers["X-Time"] = "1"
        return response


class Timeout(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        return await asyncio.wait_for(call_next(request), timeout=30)


class Streaming(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)

        async def passthrough():
            size = 0
            async for chunk in response.body_iterator:
                size += len(chunk)
                yield chunk
            log.info("sent %d bytes", size)

        return StreamingResponse(passthrough(), status_code=response.status_code)


class Counting(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        return StreamingResponse(
            (chunk async for chunk in response.body_iterator), status_code=response.status_code
        )


@app.middleware("http")
async def add_header(request: Request, call_next):
    response = await call_next(request)
    response.headers["X-App"] = "demo"
    return response


class NotMiddleware:
    def dispatch(self, request, call_next):
        return call_next(request)


class PureAsgi:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
