"""A journey's stage figures per segment (docs/metrics.md, "Personas and channels"): per
persona as of the evaluation time or per entry channel, read from the daily rollups (per
persona, domain.metrics.daily_rollups); in one snapshot."""

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.metrics import daily_rollups
from domain.metrics.evaluation import asked, evaluation
from domain.metrics.figures import Breakdown, Grouped, Segment, stage_figures
from domain.metrics.snapshot import snapshot
from domain.pg import connection_of
from domain.validation import one_of


async def stage_breakdown(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    start: date,
    end: date,
    by: Breakdown | str,
    as_of: datetime | None = None,
    with_percentiles: bool = True,
) -> list[Segment]:
    """The stage figures per persona (as of the evaluation time) or per entry channel; only
    segments with entries are listed (no persona, or no channel known, last); without the
    times to convert (None) when not wanted."""
    by = one_of(Breakdown, by, field="by", label="Breakdown")
    question = asked(start, end, as_of)
    async with snapshot(session, workspace_id=workspace_id) as reading:
        found = await evaluation(
            reading, workspace_id=workspace_id, journey_id=journey_id, asked=question
        )
        connection = await connection_of(reading)
        grouped: Grouped
        if by is Breakdown.CHANNEL:
            rolled = await daily_rollups.Reading.read(connection, found)
            grouped = await rolled.figures(
                rolled.channel, scope=rolled.channel_scope, with_percentiles=with_percentiles
            )
        else:
            rolled = await daily_rollups.Reading.read(connection, found, by_persona=True)
            grouped = await rolled.figures(
                rolled.persona, scope=rolled.persona_scope, with_percentiles=with_percentiles
            )
    grouped = {str(k) if isinstance(k, uuid.UUID) else k: v for k, v in grouped.items()}
    return [
        Segment(key, stage_figures(found.stages, rows))
        for key, rows in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]
