"""Tells map pages that a journey's figures moved, after folds commit (domain.metrics
.figures_changed), coalesced: the first fold after a quiet spell is announced at once, then at
most one round per EVERY_SECONDS, so a burst of batches sends about one notice a second per
journey however many folds it takes."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.metrics import figures_changed

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0


class FiguresNotices:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        *,
        every: float = EVERY_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db, self._every = db, every
        # Receipts up to here are announced; the process announces what it folds from its start.
        self._started = clock()
        self._announced: dict[uuid.UUID, datetime] = {}
        self._due: set[uuid.UUID] = set()
        self._task: asyncio.Task | None = None
        self._last_round: float | None = None  # event loop time

    def folded(self, workspace_id: uuid.UUID) -> None:
        """A fold of this workspace committed: announce its journeys whose figures moved."""
        self._due.add(workspace_id)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._due:
            if self._last_round is not None:
                await asyncio.sleep(max(0.0, self._last_round + self._every - loop.time()))
            due, self._due = self._due, set()
            self._last_round = loop.time()
            for workspace_id in due:
                await self._announce(workspace_id)

    async def _announce(self, workspace_id: uuid.UUID) -> None:
        after = self._announced.get(workspace_id, self._started)
        try:
            async with self._db.begin() as session:
                latest = await figures_changed.announce(
                    session, workspace_id=workspace_id, after=after
                )
        except Exception:  # the pages' slow poll still brings the figures
            log.exception("announcing the figures of workspace %s failed", workspace_id)
            return
        if latest is not None:
            self._announced[workspace_id] = latest

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
