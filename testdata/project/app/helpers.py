"""Sync helpers, imported relatively by the routes."""

import requests


def load(url):
    return requests.get(url, timeout=5).json()


def parse(text):
    return text.strip()


def load_all(urls):
    return [load(url) for url in urls]
