"""Taking stored batches into metrics: the fold.

Ingest stores raw events and one pending batch row per batch (domain.event.service); the fold
takes a workspace's pending batches, many at once, into customers, personas, stage progress,
touchpoint reach and event name counts (domain.metrics.progress_rows), and deletes them, in one
transaction. A per-workspace advisory lock lets one folder at a time work on a workspace, so
the rows it writes need no row locks against other folders; remapping takes the same lock.

Who folds: the web process right after a batch commits (in the background), the worker as a
safety net, and every reader of metrics (`catch_up`), so figures include every batch
committed before the read. Batches not yet folded survive any crash: they are rows.
"""

import contextlib
import gc
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from domain.customer import service as customer_service
from domain.customer.service import PersonaChange
from domain.metrics import progress_rows
from domain.pg import connection_of

# Batches per fold transaction (at most 500 events each): big statements, bounded memory, and
# the folding process's event loop kept free for requests between transactions. The rollup
# rows a fold rewrites are about the same few hundred however many events it takes (the days,
# stages and touchpoints they fall on), so bigger folds write them less often: at 1M events
# through /v1/batch, 100 a fold caught up 4.4–5.0 s after the last batch where 40 took 10.4 s.
# What it costs: a reader that finds a fold at work waits for it (up to 50,000 events, about
# 2 s of folding in such a burst, by those rates).
BATCHES_PER_FOLD = 100


async def _lock(connection: asyncpg.Connection, workspace_id: uuid.UUID, *, wait: bool) -> bool:
    """The workspace's fold lock until the transaction ends; without `wait`, only if free.

    Also plans the transaction's statements for their actual arrays: a generic plan, made
    while the tables were small, keeps scanning them whole as they grow."""
    key, plans = (
        "hashtext('fold:' || $1::text)",
        "set_config('plan_cache_mode', 'force_custom_plan', true)",
    )
    if wait:
        await connection.execute(f"SELECT pg_advisory_xact_lock({key}), {plans}", str(workspace_id))
        return True
    return await connection.fetchval(
        f"SELECT pg_try_advisory_xact_lock({key}) FROM {plans}", str(workspace_id)
    )


async def has_pending(connection: asyncpg.Connection, workspace_id: uuid.UUID) -> bool:
    return await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pending_batch WHERE workspace_id = $1)", workspace_id
    )


async def pending_workspaces(connection: asyncpg.Connection) -> list[uuid.UUID]:
    """Workspaces with batches waiting to be folded."""
    rows = await connection.fetch("SELECT DISTINCT workspace_id FROM pending_batch")
    return [row["workspace_id"] for row in rows]


async def catch_up(session: AsyncSession, *, workspace_id: uuid.UUID, lock: bool = False) -> None:
    """Fold every batch of the workspace committed so far (and this transaction's own), so that
    what is read next includes them; one cheap query when nothing is pending (unless `lock`).

    Waits for a folder already at work, then holds the lock until this transaction ends (with
    `lock`, always: remapping keeps folders out until it commits)."""
    connection = await connection_of(session)
    if not lock and not await has_pending(connection, workspace_id):
        return
    await _lock(connection, workspace_id, wait=True)
    while await fold(connection, workspace_id=workspace_id):
        pass


async def fold_some(
    session: AsyncSession, *, workspace_id: uuid.UUID, batches: int = BATCHES_PER_FOLD
) -> int | None:
    """Fold up to `batches` pending batches, or None when another folder holds the workspace
    (it, or a later fold, takes what is left). Never waits for a lock."""
    connection = await connection_of(session)
    if not await _lock(connection, workspace_id, wait=False):
        return None
    return await fold(connection, workspace_id=workspace_id, batches=batches)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused (unless someone else paused it).

    A fold makes several objects per event that the collector tracks (asyncpg's UUIDs, and every
    tuple holding one), all kept until the fold ends and then freed by reference counting: they
    make no cycles. Left on, the collector went over the whole process heap about once per fold
    transaction, a fifth of the fold's CPU time."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


async def fold(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    batches: int = BATCHES_PER_FOLD,
) -> int:
    """Take up to `batches` pending batches (oldest first) into metrics and delete them; the
    caller holds the fold lock. Returns how many were folded.

    The order does not matter for the result: events earlier than what is known of a customer
    make their progress be recomputed from raw events (domain.metrics.progress_rows)."""
    with _no_cyclic_gc():
        return await _fold(connection, workspace_id=workspace_id, batches=batches)


async def _fold(connection: asyncpg.Connection, *, workspace_id: uuid.UUID, batches: int) -> int:
    rows = await connection.fetch(
        """
        SELECT id, received_at, customer_ids, external_ids, track_customer_ids, track_names,
               track_timestamps, track_message_ids, persona_customer_ids, persona_timestamps,
               persona_message_ids, persona_ids
        FROM pending_batch WHERE workspace_id = $1 ORDER BY id LIMIT $2
        """,
        workspace_id,
        batches,
    )
    if not rows:
        return 0
    seen: dict[uuid.UUID, tuple[str, datetime]] = {}
    tracked = progress_rows.Tracked([], [], [], [])
    changes: list[PersonaChange] = []
    first_tracked: dict[uuid.UUID, datetime] = {}
    named: Counter[str] = Counter()  # name → events
    last_named: dict[str, datetime] = {}  # name → when last received
    for row in rows:
        received_at = row["received_at"]
        for customer_id, external_id in zip(row["customer_ids"], row["external_ids"], strict=True):
            known = seen.get(customer_id)
            if known is None or known[1] < received_at:
                seen[customer_id] = (external_id, received_at)
        names = row["track_names"]
        tracked.customer_ids.extend(row["track_customer_ids"])
        tracked.names.extend(names)
        tracked.timestamps.extend(row["track_timestamps"])
        for customer_id, timestamp in zip(
            row["track_customer_ids"], row["track_timestamps"], strict=True
        ):
            first = first_tracked.get(customer_id)
            if first is None or timestamp < first:
                first_tracked[customer_id] = timestamp
        tracked.message_ids.extend(row["track_message_ids"])
        named.update(names)
        for name in set(names):
            last = last_named.get(name)
            if last is None or last < received_at:
                last_named[name] = received_at
        changes.extend(
            map(
                PersonaChange,
                row["persona_customer_ids"],
                row["persona_timestamps"],
                row["persona_message_ids"],
                row["persona_ids"],
            )
        )
    await customer_service.record_seen(
        connection, workspace_id=workspace_id, seen=seen, first_tracked=first_tracked
    )
    await customer_service.record_personas(connection, workspace_id=workspace_id, changes=changes)
    await progress_rows.record(connection, workspace_id=workspace_id, events=tracked)
    await _count_names(connection, workspace_id, named, last_named)
    await connection.execute(
        "DELETE FROM pending_batch WHERE workspace_id = $1 AND id = ANY($2::bigint[])",
        workspace_id,
        [row["id"] for row in rows],
    )
    return len(rows)


async def _count_names(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    named: Counter[str],
    last_named: dict[str, datetime],
) -> None:
    if not named:
        return
    names = sorted(named)
    await connection.execute(
        """
        INSERT INTO event_name_count (workspace_id, name, events, last_received_at)
        SELECT $1, * FROM unnest($2::varchar[], $3::bigint[], $4::timestamptz[])
        ON CONFLICT (workspace_id, name) DO UPDATE
        SET events = event_name_count.events + excluded.events,
            last_received_at = greatest(event_name_count.last_received_at,
                                        excluded.last_received_at)
        """,
        workspace_id,
        names,
        [named[n] for n in names],
        [last_named[n] for n in names],
    )
