"""Same module name as app/b/utils.py; this one blocks."""

import time


def work():
    time.sleep(0.5)
