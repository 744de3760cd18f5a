"""Stage metrics after the map changed: touchpoints gaining or losing event names, moving or
going, stages removed or reordered. The customers who sent the events concerned have their
progress and reach recomputed from raw events (docs/metrics.md: figures always apply the
journey as it is now): a backfill, nothing lost."""

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from domain.metrics import fold, progress_rows
from domain.pg import connection_of


async def remap(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    event_names: Iterable[str] | None = None,
) -> None:
    """After touchpoints of a journey changed which events mark them (or stages moved),
    recompute the customers who sent `event_names` (default: every customer of the journey).

    Pending batches are folded first, under the fold lock kept until commit: none is taken in
    with the old mapping after this, and none is missed by the recompute."""
    await fold.catch_up(session, workspace_id=workspace_id, lock=True)
    connection = await connection_of(session)
    if event_names is None:
        names = list(
            await progress_rows.touchpoint_marks(connection, workspace_id, journey_id=journey_id)
        )
    else:
        names = sorted(set(event_names))
    rows = await connection.fetch(
        """
        SELECT customer_id FROM event WHERE workspace_id = $1 AND name = ANY($2::varchar[])
        UNION
        SELECT customer_id FROM stage_progress
        WHERE workspace_id = $1 AND journey_id = $3 AND $4
        """,
        workspace_id,
        names,
        journey_id,
        event_names is None,
    )
    await progress_rows.recompute(
        connection, workspace_id, journey_id, [row["customer_id"] for row in rows]
    )
