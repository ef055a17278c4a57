"""A coroutine of the project that suspends (an awaited value of unknown kind)."""


async def remote_ping() -> None:
    await _WAITER


_WAITER = None
