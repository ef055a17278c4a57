"""Helpers that call each other across two modules."""

from app import cycle_b


def ping(n):
    if n:
        return cycle_b.pong(n - 1)
    return 0


def spin(n):
    return cycle_b.spun(n)
