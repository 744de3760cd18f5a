"""Where readers of metrics read: every batch committed before the read folded in, then one
REPEATABLE READ READ ONLY snapshot, on a connection of their own.

A reading takes several statements (the rollup cells, then the ranks their histograms point
to, then reach); in one snapshot, a fold committing meanwhile changes none of them, so the
figures agree with one another without row versions or retries. The fold runs in a
transaction of its own, committed before the snapshot begins (the snapshot sees it), which is
also why the reading cannot be the caller's transaction, and sees only what is committed. So a
caller reads before it writes metrics in its own transaction, or after it commits: a fold or
rollup lock its transaction held would keep the reader's fold waiting for it.

Everything runs on one connection, checked out for the reading alone, from the engine a unit
of work names for readers (`READERS` in the session's info) or else the session's own. A pool
of their own matters under load: a caller holds a connection of the main pool while its reader
waits for another, and fifty such callers on a pool of fifteen would each hold one and wait for
a second for ever; readers wait only for readers, which finish. Leaving the block by an
exception or a cancellation (graphql-core cancels a field's siblings when one fails) rolls back
and returns it to the pool (SQLAlchemy closes to completion even in a cancelled task).

A process may bound how long each statement of its readers runs (the readers' pool's
`statement_timeout`, `JOURNEYOPS_READ_TIMEOUT_SECONDS`), so that no one query, say a breakdown
as of a distant past, can hold the database for minutes: the reader is then told, in the
domain's words (`TooSlow`), to ask for less.
"""

import contextlib
import uuid
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.errors import TooSlow
from domain.metrics import fold
from domain.pg import causes

READERS = "metrics_readers"
QUERY_CANCELED = "57014"  # session.info key: the engine readers take their connections from


@contextlib.asynccontextmanager
async def snapshot(
    session: AsyncSession, *, workspace_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """A read-only session on the workspace's metrics as committed now, caught up; `session`
    lends only its engine (or the readers' engine its unit of work names)."""
    engine = session.info.get(READERS) or session.bind
    assert isinstance(engine, AsyncEngine), "a reader needs a session bound to an engine"
    try:
        async with engine.connect() as connection:
            async with AsyncSession(connection) as folding, folding.begin():
                await fold.catch_up(folding, workspace_id=workspace_id)
            await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with AsyncSession(connection, expire_on_commit=False) as reading:
                yield reading
    except Exception as error:
        if _stopped_for_time(error):
            raise TooSlow(
                "Reading these figures took too long and was stopped. Ask for a shorter "
                "period, or for the figures as of now rather than as of a past time."
            ) from error
        raise


def _stopped_for_time(error: BaseException) -> bool:
    """Whether a statement was stopped by the readers' `statement_timeout` (SQLSTATE 57014),
    raised by asyncpg or wrapped by SQLAlchemy."""
    return any(getattr(cause, "sqlstate", None) == QUERY_CANCELED for cause in causes(error))
