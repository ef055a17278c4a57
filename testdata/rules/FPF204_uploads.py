"""FPF204: which routes accept uploads, and which limits set in this module count."""
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.middleware.base import BaseHTTPMiddleware

FORM_LIMITS = {"max_files": 10}
app = FastAPI(max_body_size=10 * 1024 * 1024)
pages = APIRouter(prefix="/pages")
forms = APIRouter(prefix="/forms")  # error: FPF204
logins = APIRouter(prefix="/login")  # error: FPF204
imports = APIRouter(prefix="/imports")  # error: FPF204
mixed = APIRouter(prefix="/mixed")  # error: FPF204
parts = APIRouter(prefix="/parts", form_limits=FORM_LIMITS)
per_route = APIRouter(prefix="/per-route")
inner = APIRouter(prefix="/inner")
outer = APIRouter(prefix="/outer")
unincluded = APIRouter(prefix="/unincluded")  # error: FPF204
factory_router = APIRouter(prefix="/factory")


class Html:
    def form(self, action: str) -> str:
        return f'<form action="{action}">'


class SearchRequest:
    async def form(self) -> dict:
        return {}


class Timing(BaseHTTPMiddleware):
    """Added to the app, but limits nothing: the findings below stay."""

    async def dispatch(self, request, call_next):
        response = await call_next(request)
        response.headers["X-Time"] = "1"
        return response


html = Html()
app.add_middleware(Timing)


# --- .form() of anything but a Request: no upload --------------------------------------------

@pages.get("/signup", response_class=HTMLResponse)
async def signup_page():
    return html.form("/signup")


@pages.post("/search")
async def search(request: SearchRequest):
    return await request.form()


@pages.post("/wtforms")
async def wtforms(request: Request, form_class: type):
    form = form_class()
    return form.form()  # not awaited, not the request


# --- await request.form() on a Request, directly or through a dependency ----------------------

@forms.post("/contact")
async def contact(request: Request):
    form = await request.form()
    return dict(form)


async def credentials(request: Request) -> dict:
    async with request.form() as form:
        return {"user": form.get("user")}


@logins.post("/")
async def login(creds: Annotated[dict, Depends(credentials)]):
    return creds


def attachment(file: UploadFile) -> UploadFile:
    return file


@imports.post("/", dependencies=[Depends(attachment)])
async def import_one():
    return {}


# --- the message names the route that takes the upload, not an earlier one -------------------

@mixed.get("/render")
async def render(request: Request):
    return html.form("/mixed/attach")


@mixed.post("/attach")
async def attach(note: Annotated[str, Form()]):
    return note


# --- limits this module sets ------------------------------------------------------------------

@parts.post("/")
async def upload_parts(file: UploadFile):
    return file.filename


@per_route.post("/", form_limits=FORM_LIMITS)
async def upload_limited_route(file: UploadFile):
    return file.filename


@inner.post("/")
async def upload_inner(file: UploadFile):
    return file.filename


@unincluded.post("/")
async def upload_unincluded(file: UploadFile):
    return file.filename


@factory_router.post("/")
async def upload_factory(file: UploadFile):
    return file.filename


# included in the order opposite to the nesting: inner -> outer -> app
outer.include_router(inner)
app.include_router(outer)


def create_app() -> FastAPI:
    application = FastAPI(max_body_size=1024 * 1024)
    application.include_router(factory_router)
    return application
