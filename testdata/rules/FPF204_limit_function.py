"""FPF204: an @app.middleware("http") function of this module that answers 413 limits uploads."""
from fastapi import APIRouter, FastAPI, Request, UploadFile, status
from fastapi.responses import JSONResponse

MAX_BYTES = 50 * 1024 * 1024
app = FastAPI()
router = APIRouter(prefix="/files")


@app.middleware("http")
async def guard(request: Request, call_next):
    if int(request.headers.get("content-length", "0")) > MAX_BYTES:
        return JSONResponse({"detail": "too large"}, status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return await call_next(request)


@router.post("/")
async def upload(file: UploadFile):
    return await file.read()  # error: FPF201


app.include_router(router)
