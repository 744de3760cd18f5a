"""Hears the database's live-update NOTIFYs and hands them to this process's subscribers.

One dedicated asyncpg connection per process LISTENs on every `domain.live.Topic`; each
subscriber (a GraphQL subscription, later an alert feed) gets its own bounded queue. NOTIFYs
are sent on commit by whichever server process wrote, so subscribers here hear about changes
made through any process. When the connection drops, the listener reconnects with backoff;
what was notified while it was away is not replayed (subscribers reload state by id anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from domain.live import Topic

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
RETRY_DELAYS = (0.2, 0.5, 1, 2, 5)
HEALTH_CHECK_SECONDS = 10.0
APPLICATION_NAME = "journeyops-live-listener"  # how the connection shows in pg_stat_activity


def connect_args(database_url: str) -> tuple[str, dict[str, str]]:
    """What asyncpg.connect takes to reach the engine's database: a plain postgresql:// URL,
    not SQLAlchemy's +asyncpg one, and `ssl` (`?ssl=require`, as the engine's URL says it) as
    a keyword, as the engine passes it. asyncpg's URLs know `sslmode`, not `ssl`: left in the
    URL, it asked the server to set a parameter `ssl`, and every connection was refused."""
    url = make_url(database_url)
    ssl = url.query.get("ssl")
    dsn = url.difference_update_query(["ssl"]).set(drivername="postgresql")
    return dsn.render_as_string(False), {"ssl": ssl} if isinstance(ssl, str) else {}


class LiveListener:
    def __init__(self, database_url: str) -> None:
        self._dsn, self._ssl = connect_args(database_url)
        self._subscribers: dict[Topic, set[asyncio.Queue[dict[str, Any]]]] = {
            topic: set() for topic in Topic
        }
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        """Start listening in the background; returns once LISTEN is in place (or first fails)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="journeyops-live-listener")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.listening.wait(), timeout=5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def subscriber_count(self, topic: Topic) -> int:
        """How many subscribers are waiting for `topic` in this process right now."""
        return len(self._subscribers[topic])

    async def messages(self, topic: Topic) -> AsyncIterator[dict[str, Any]]:
        """Every payload published on `topic` from now on, until the caller stops iterating."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers[topic].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[topic].discard(queue)

    def _deliver(self, connection: object, pid: int, channel: str, payload: str) -> None:
        message = json.loads(payload)
        for queue in self._subscribers[Topic(channel)]:
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                # A subscriber that stopped reading must not hold up the others.
                log.warning("live subscriber on %s is %d messages behind", channel, QUEUE_SIZE)

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._listen_until_lost()
                attempt = 0
                log.warning("live listener lost its connection; reconnecting")
            except Exception as error:  # any connection failure: wait, then reconnect
                self.listening.clear()
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                attempt += 1
                log.warning("live listener lost the database (%s); retry in %ss", error, delay)
                await asyncio.sleep(delay)

    async def _listen_until_lost(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": APPLICATION_NAME}, **self._ssl
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            for topic in Topic:
                await connection.add_listener(topic.value, self._deliver)
            self.listening.set()
            log.info("live listener is listening on %s", ", ".join(t.value for t in Topic))
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), timeout=HEALTH_CHECK_SECONDS)
                if not lost.is_set():
                    # A half-open TCP connection never terminates by itself; a query finds out.
                    await connection.fetchval("SELECT 1", timeout=HEALTH_CHECK_SECONDS)
        finally:
            self.listening.clear()
            if not connection.is_closed():
                await connection.close(timeout=2)
