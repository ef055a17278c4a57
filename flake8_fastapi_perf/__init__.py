"""flake8-fastapi-perf: find the FastAPI code that blocks the event loop or exhausts memory."""

__version__ = "0.1.0"
