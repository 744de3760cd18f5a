"""Which journeys' figures moved: told to the map pages that show them (`journeyFiguresChanged`).

A fold takes events into stage progress and touchpoint reach, and counts each event name with
when its latest batch was received (`event_name_count`). A journey's figures moved when events
of a name one of its touchpoints maps were received after the last look; what a look finds is
announced with PostgreSQL NOTIFY on its own transaction's commit (domain.live), once per
journey, however many batches were folded since the look before.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.live import Topic, publish


@dataclass(frozen=True)
class FiguresChanged:
    journey_id: uuid.UUID
    latest_received_at: datetime  # of the newest events folded into the journey's figures


async def since(
    session: AsyncSession, *, workspace_id: uuid.UUID, after: datetime
) -> list[FiguresChanged]:
    """The workspace's journeys with events of their touchpoints' names received after `after`."""
    rows = await session.execute(
        text(
            """
            SELECT t.journey_id, max(n.last_received_at) AS latest
            FROM touchpoint t
            JOIN event_name_count n
              ON n.workspace_id = t.workspace_id AND n.name = ANY(t.event_names)
            WHERE t.workspace_id = :workspace_id AND n.last_received_at > :after
            GROUP BY t.journey_id
            ORDER BY t.journey_id
            """
        ),
        {"workspace_id": workspace_id, "after": after},
    )
    return [FiguresChanged(row.journey_id, row.latest) for row in rows]


async def announce(
    session: AsyncSession, *, workspace_id: uuid.UUID, after: datetime
) -> datetime | None:
    """NOTIFY each journey whose figures moved since `after` (sent when `session` commits); the
    newest receipt announced, the next look's `after`, or None when nothing moved."""
    changed = await since(session, workspace_id=workspace_id, after=after)
    for change in changed:
        await publish(
            session,
            Topic.FIGURES_CHANGED,
            {
                "workspace_id": workspace_id,
                "journey_id": change.journey_id,
                "latest_received_at": change.latest_received_at.isoformat(),
            },
        )
    return max((c.latest_received_at for c in changed), default=None)
