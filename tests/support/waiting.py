"""Waiting on a condition with a bound, never on a clock."""

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

POLL_SECONDS = 0.05


async def eventually(check: Callable[[], Any], *, within: float, what: str, seen: Callable) -> Any:
    """`check()`'s first truthy answer (awaited if it is a coroutine), polled until `within`
    seconds have passed; then an AssertionError saying what was awaited and what was `seen()`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        answer = check()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer
        if loop.time() > deadline:
            raise AssertionError(f"no {what} within {within:.0f}s; saw {seen()}")
        await asyncio.sleep(POLL_SECONDS)
