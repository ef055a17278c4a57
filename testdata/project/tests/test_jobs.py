"""Tests are not served: nothing here is reported, and what only they await is not either."""

import time

import requests

from app.jobs import only_tested


async def test_only_tested():
    time.sleep(0.1)
    requests.get("http://localhost:8000/", timeout=5)
    await only_tested()
