"""Event names the workspace received that no touchpoint maps yet (docs/metrics.md, "Unmapped
events"), from the counts the fold keeps."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.metrics.snapshot import snapshot
from domain.pg import connection_of


@dataclass(frozen=True, slots=True)
class UnmappedEvent:
    name: str
    events: int
    last_received_at: datetime


async def unmapped_events(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[UnmappedEvent]:
    """Event names received that no touchpoint of any journey maps yet, with their counts."""
    async with snapshot(session, workspace_id=workspace_id) as reading:
        connection = await connection_of(reading)
        rows = await connection.fetch(
            """
            SELECT n.name, n.events, n.last_received_at FROM event_name_count n
            WHERE n.workspace_id = $1 AND NOT EXISTS (
                SELECT 1 FROM touchpoint t
                WHERE t.workspace_id = n.workspace_id AND n.name = ANY(t.event_names))
            ORDER BY n.events DESC, n.name
            """,
            workspace_id,
        )
    return [UnmappedEvent(row["name"], row["events"], row["last_received_at"]) for row in rows]
