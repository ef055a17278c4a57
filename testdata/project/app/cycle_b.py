from . import cycle_a


def pong(n):
    cycle_a.ping(n)
    with open("pong.log", "a") as fh:
        fh.write(str(n))


def spun(n):
    return cycle_a.spin(n - 1) if n else n
