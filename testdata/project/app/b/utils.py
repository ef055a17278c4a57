"""Same module name as app/a/utils.py; this one does not block."""


def work():
    return 42
