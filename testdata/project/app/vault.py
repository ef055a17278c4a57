"""Secrets read from the environment; only ``file:`` names read a file (a blocking call)."""

import os


def get_secret(name, default=None):
    name = name.removeprefix("env:")
    if name.startswith("file:"):
        with open(name.removeprefix("file:")) as f:
            return f.read().strip()
    return os.environ.get(name, default)


def get_secret_str(name):
    value = get_secret(name)
    return value if isinstance(value, str) else None

