"""Middleware that Starlette cannot await becomes async and awaits call_next."""
import asyncio

from fastapi import FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware

app = FastAPI()


class Timing(BaseHTTPMiddleware):
    def dispatch(self, request: Request, call_next):
        response = call_next(request)
        response.headers["X-Timing"] = "1"
        return response


class Forgetful(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        return call_next(  # the comment stays
            request
        )


class WithTimeout(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        return await asyncio.wait_for(call_next(request), timeout=10)


@app.middleware("http")
def add_header(request: Request, call_next):
    response = call_next(request)
    response.headers["X-App"] = "demo"
    return response
