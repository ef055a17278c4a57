"""A method of a live class runs when reached code uses its name (``obj.method``,
``getattr(obj, "method")``): one that no served code names (a CLI's, a worker's) is not reached.
A class with a library base is different: the library may call any of its methods by name."""

import time

from fastapi import APIRouter
from starlette.endpoints import HTTPEndpoint

router = APIRouter()


class Exporter:
    async def export_rows(self):
        time.sleep(0.1)  # error: FPF101

    async def export_to_archive(self):
        time.sleep(1)  # no served code uses `export_to_archive` (not reported)

    async def _flush(self):
        time.sleep(0.1)  # error: FPF101  (called through getattr, by its name)

    async def __aenter__(self):
        time.sleep(0.1)  # error: FPF101  (a dunder: Python calls it)


class Webhook(HTTPEndpoint):
    async def post(self, request):
        time.sleep(0.1)  # error: FPF101  (Starlette calls `post` by name)


@router.get("/export")
async def export():
    exporter = Exporter()
    await exporter.export_rows()
    await getattr(exporter, "_flush")()
    return Webhook
