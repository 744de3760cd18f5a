"""Who folds pending batches into metrics (domain.metrics.fold) besides readers: the web
process, in the background right after a batch commits, and the worker, as a safety net for
batches whose process stopped before folding them."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.metrics import fold
from domain.pg import connection_of

log = logging.getLogger(__name__)

# A fold starts once no batch has committed for QUIET_SECONDS (a burst is taken in whole, in
# big statements, after its requests were answered), or WAIT_MAX_SECONDS after the first batch
# it waits for when batches keep coming. Readers never wait for it: they catch up themselves.
QUIET_SECONDS = 0.2
WAIT_MAX_SECONDS = 2.0


class BackgroundFolder:
    """At most one fold task in this process: a batch committed while it waits or runs is taken
    by it or its next round, so busy ingestion folds many batches per transaction. Never blocks
    a request: a workspace another folder holds is tried again shortly."""

    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        *,
        enabled: bool = True,
        on_folded: Callable[[uuid.UUID], None] = lambda workspace_id: None,
    ) -> None:
        self._db, self._enabled, self._on_folded = db, enabled, on_folded
        self._wanted: set[uuid.UUID] = set()
        self._task: asyncio.Task | None = None
        self._last = 0.0  # when the latest batch committed (event loop time)

    def nudge(self, workspace_id: uuid.UUID) -> None:
        """A batch of this workspace committed: fold it soon (unless folding is left to the
        worker)."""
        if not self._enabled:
            return
        self._wanted.add(workspace_id)
        self._last = asyncio.get_running_loop().time()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _gather(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_MAX_SECONDS
        while (now := loop.time()) < deadline and now - self._last < QUIET_SECONDS:
            await asyncio.sleep(min(deadline, self._last + QUIET_SECONDS) - now)

    async def _run(self) -> None:
        while self._wanted:
            await self._gather()
            wanted, self._wanted = self._wanted, set()
            for workspace_id in wanted:
                await self._fold(workspace_id)

    async def _fold(self, workspace_id: uuid.UUID) -> None:
        """Fold the workspace's pending batches, a transaction per BATCHES_PER_FOLD."""
        while True:
            try:
                async with self._db.begin() as session:
                    folded = await fold.fold_some(session, workspace_id=workspace_id)
            except Exception:  # the worker's fold job takes it later
                log.exception("folding workspace %s failed", workspace_id)
                return
            if folded is None:  # another folder (or a reader) holds it: try again shortly
                self._wanted.add(workspace_id)
                await asyncio.sleep(QUIET_SECONDS)
                return
            # Committed (or a reader folded the batches first): the maps of its journeys hear.
            self._on_folded(workspace_id)
            if folded < fold.BATCHES_PER_FOLD:
                return

    async def close(self) -> None:
        """Stop folding; what was not folded stays pending for the next folder."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def fold_pending(db: async_sessionmaker[AsyncSession]) -> int:
    """Fold every workspace's pending batches (skipping workspaces another folder holds; one
    that fails is logged and left for the next run); the number of batches folded."""
    async with db() as session:
        workspaces = await fold.pending_workspaces(await connection_of(session))
    total = 0
    for workspace_id in workspaces:
        try:
            while True:
                async with db.begin() as session:
                    folded = await fold.fold_some(session, workspace_id=workspace_id)
                total += folded or 0
                if not folded:
                    break
        except Exception:
            log.exception("folding workspace %s failed", workspace_id)
    return total
