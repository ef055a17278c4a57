from fastapi import APIRouter

from .utils import work

router = APIRouter()


@router.get("/b")
async def view_b():
    work()  # app.b.utils.work does not block
    return {}
