"""Waiting on a condition with a bound, never on a clock."""

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

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


async def a_statement_waits_for_a_lock(db, timeout: float = 5.0) -> None:
    """Return once a statement of this test's database waits on a lock held elsewhere."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with db() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        if loop.time() > deadline:
            raise AssertionError("no statement waited on the row held back")
        await asyncio.sleep(0.01)
