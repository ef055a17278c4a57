"""A namespace package (no __init__.py in app/ns)."""

import subprocess


def crunch(name):
    subprocess.run(["gzip", name], check=True)


def quick(name):
    return name.upper()
