"""One unit of work per use case, the same for every door (GraphQL, Slack, ingestion, the CLI).

`async with transaction() as session:` opens a session and its transaction: committed when the
block ends, rolled back when it raises, so a use case is never half-written. Two requests that
pass a use case's uniqueness check at the same moment are told apart by the database's unique
keys; the loser's violation comes out as the domain's `Conflict`, which every door shows like
any other DomainError (before, only GraphQL did, and a Slack user got no answer at all).

What must follow the work only once it is committed (folding a stored batch into metrics) is
recorded on the unit of work by the use case and run after the commit, never after a rollback.
Who builds the units of work (once per process) says what a stored batch sets going, so no door
has to remember it.
"""

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.errors import Conflict

log = logging.getLogger(__name__)

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
RACE_LOST = "Someone made the same change at the same moment; reload and try again."

Hook = Callable[[], None]
BatchStored = Callable[[uuid.UUID], None]


def _nothing(_workspace_id: uuid.UUID) -> None:
    """A stored batch waits for a reader or the worker to fold it."""


class UnitOfWork:
    """A transaction in progress, and what to do once it commits."""

    def __init__(self, *, on_batch_stored: BatchStored) -> None:
        self._on_batch_stored = on_batch_stored
        self._hooks: list[Hook] = []

    def after_commit(self, hook: Hook) -> None:
        self._hooks.append(hook)

    def batch_stored(self, workspace_id: uuid.UUID) -> None:
        self.after_commit(lambda: self._on_batch_stored(workspace_id))

    def committed(self) -> None:
        """Run the hooks, in order. The work is committed whatever they do: a hook that fails
        is logged, and the others still run."""
        for hook in self._hooks:
            try:
                hook()
            except Exception:
                log.exception("an after-commit hook failed; the work itself is committed")


_KEY = "unit_of_work"  # where a session keeps its unit of work (Session.info)


def _of(session: AsyncSession) -> UnitOfWork | None:
    return session.info.get(_KEY)


def after_commit(session: AsyncSession, hook: Hook) -> None:
    """Run `hook` once the transaction `session` works in commits; not if it rolls back. A
    session opened outside a unit of work (a test's, a script's own) has nobody to run it."""
    if (work := _of(session)) is not None:
        work.after_commit(hook)


def batch_stored(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    """Say a batch of the workspace's events was stored: metrics take it in once committed."""
    if (work := _of(session)) is not None:
        work.batch_stored(workspace_id)


def _lost_race(error: IntegrityError) -> bool:
    """Two transactions passed a uniqueness check at the same moment and the database let one
    win. Any other integrity error is a bug, and stays an unexpected error."""
    return getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION


class Transactions:
    """Opens units of work on one database: `async with transactions() as session:`.

    `session_info` is handed to every session's `info` (for example the engine metrics
    readers take their own connections from, `domain.metrics.snapshot.READERS`)."""

    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        *,
        on_batch_stored: BatchStored = _nothing,
        session_info: Mapping[str, Any] | None = None,
    ) -> None:
        self._db = db
        self._on_batch_stored = on_batch_stored
        self._session_info = dict(session_info or {})

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        work = UnitOfWork(on_batch_stored=self._on_batch_stored)
        try:
            async with self._db() as session, session.begin():
                session.info.update(self._session_info)
                session.info[_KEY] = work
                yield session
        except IntegrityError as error:
            if not _lost_race(error):
                raise
            raise Conflict(RACE_LOST) from error
        work.committed()
