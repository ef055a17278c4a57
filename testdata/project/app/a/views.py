from fastapi import APIRouter

from .utils import work

router = APIRouter()


@router.get("/a")
async def view_a():  # error: FPF110
    work()  # never awaits: reported once, on the def
    return {}


@router.get("/a2")
async def view_a2():
    await view_a()
    work()  # error: FPF107
