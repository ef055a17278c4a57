"""An app factory handed an object its caller (a worker process, no server) built: only what
the factory's code calls on it is reached, not every method of its class."""

import time

from fastapi import FastAPI


class BaseWorker:
    async def ping(self):
        time.sleep(0.1)  # error: FPF101

    async def drain(self):
        time.sleep(1)  # never used by the status app (not reported)


class Worker(BaseWorker):
    async def run_job(self):
        time.sleep(1)  # the worker's own job loop: the status app never runs it (not reported)

    async def health(self):
        time.sleep(0.1)  # error: FPF101

    @property
    def busy(self) -> bool:
        return False


def create_status_app(worker: Worker) -> FastAPI:
    status_app = FastAPI()

    @status_app.get("/status")
    async def status():
        await worker.health()
        await worker.ping()  # a method of its base
        return {"busy": worker.busy}

    return status_app
