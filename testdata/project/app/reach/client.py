"""A client SDK shipped beside the server: no entry point names it."""

import time

import requests


class Client:
    async def fetch(self, url):
        return requests.get(url).text  # only client code runs this (not reported)


async def export_all():
    time.sleep(1)  # only a user's script runs this (not reported)


def run_sync(coro):
    import asyncio

    return asyncio.run(coro)


def main():
    run_sync(export_all())
