"""The base of the service objects: a method every service inherits."""

import time


class Service:
    def settle(self):
        time.sleep(0.1)
