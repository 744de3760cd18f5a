"""A journey's stage metrics (docs/metrics.md): per-stage figures for the customers who entered
in a period of local days, as of an evaluation time, with a daily or weekly series and
touchpoint reach, optionally for one persona or entry channel. What GraphQL's
`Journey.stageMetrics`, the journey summary and the weekly digest show.

Read from the daily rollups (domain.metrics.daily_rollups; per persona for a persona filter),
in one snapshot. A caller that shows no times to convert or no reach (a GraphQL query that
does not select them) leaves them out, and their lookups are not made.
"""

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.metrics import daily_rollups
from domain.metrics.evaluation import Asked, Evaluation, asked, evaluation
from domain.metrics.figures import Bucket, Grouped, StageMetrics, stage_figures
from domain.metrics.periods import Granularity, bucket_of
from domain.metrics.snapshot import snapshot
from domain.pg import connection_of
from domain.validation import one_of
from domain.vocabulary import Channel


async def stage_metrics(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    start: date,
    end: date,
    as_of: datetime | None = None,
    granularity: Granularity | str | None = None,
    persona_id: uuid.UUID | None = None,
    channel: Channel | str | None = None,
    with_percentiles: bool = True,
    with_reach: bool = True,
) -> StageMetrics:
    """Per-stage figures for entries in [start, end) (local days), as of `as_of` (default
    now), with a daily or weekly series and touchpoint reach, optionally for one persona or
    entry channel; without the times to convert (None) or reach (empty) when not wanted."""
    question = asked(start, end, as_of, persona_id=persona_id, channel=channel)
    by = None
    if granularity:
        by = one_of(Granularity, granularity, field="granularity", label="Granularity")
    async with snapshot(session, workspace_id=workspace_id) as reading:
        return await read(
            reading,
            workspace_id=workspace_id,
            journey_id=journey_id,
            asked=question,
            by=by,
            with_percentiles=with_percentiles,
            with_reach=with_reach,
        )


async def read(
    reading: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    asked: Asked,
    by: Granularity | None = None,
    with_percentiles: bool = True,
    with_reach: bool = True,
) -> StageMetrics:
    """stage_metrics within a snapshot already open (domain.metrics.snapshot)."""
    found = await evaluation(reading, workspace_id=workspace_id, journey_id=journey_id, asked=asked)
    return await read_evaluation(
        reading, found, by=by, with_percentiles=with_percentiles, with_reach=with_reach
    )


async def read_evaluation(
    reading: AsyncSession,
    found: Evaluation,
    *,
    by: Granularity | None = None,
    with_percentiles: bool = True,
    with_reach: bool = True,
) -> StageMetrics:
    """stage_metrics of an evaluation read in a snapshot already open."""
    connection = await connection_of(reading)
    rolled = await daily_rollups.Reading.read(connection, found)
    totals = await rolled.figures(rolled.total, with_percentiles=with_percentiles)
    by_bucket: Grouped = {}
    if by:
        by_bucket = await rolled.figures(
            rolled.series(by), scope=rolled.series_scope(by), with_percentiles=with_percentiles
        )
    reach = await rolled.reach() if with_reach else []
    series = [
        Bucket(day, stage_figures(found.stages, by_bucket.get(day.isoformat(), {})))
        for day in _buckets(found.start, found.end, by)
    ]
    return StageMetrics(
        journey_id=found.journey.id,
        start=found.start,
        end=found.end,
        as_of=found.as_of,
        timezone=found.journey.timezone,
        conversion_window_days=found.journey.conversion_window_days,
        stages=stage_figures(found.stages, totals.get(None, {})),
        series=series,
        reach=reach,
    )


def _buckets(start: date, end: date, granularity: Granularity | None) -> list[date]:
    """The series' buckets (none without a granularity): each local day or week of the period."""
    buckets: list[date] = []
    day = start
    while granularity and day < end:
        bucket = bucket_of(day, granularity)
        if not buckets or buckets[-1] != bucket:
            buckets.append(bucket)
        day += timedelta(days=1)
    return buckets
