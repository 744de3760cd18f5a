"""Each journey of a workspace in three figures, for the list of journeys
(docs/journey_map.md, "The list of journeys").

For the last `days` local days (today included, in each journey's time zone): the customers
who entered its first stage; of them, the share who have reached its last stage since (the
end-to-end conversion); and its unresolved alerts. Read in a fixed number of statements
whatever the number of journeys: the journeys, then one statement for every figure of all of
them (after the catch-up fold every metrics read does)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.journey_map.service import DAYS_DEFAULT, Period, choose_period, period_days
from domain.metrics import fold
from domain.metrics.periods import period as utc_period
from domain.metrics.periods import rate


@dataclass(frozen=True, slots=True)
class JourneyHeadline:
    journey: Journey
    period: Period
    stages: int
    entered: int  # customers who entered the first stage in the period
    completed: int  # of them, those who have reached the last stage since
    open_alerts: int  # open or acknowledged

    @property
    def conversion_rate(self) -> float | None:
        """End to end; None when nobody entered or the journey has fewer than two stages."""
        return rate(self.completed, self.entered) if self.stages > 1 else None


FIGURES = text(
    """
    WITH wanted AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:lows AS timestamptz[]),
                             CAST(:highs AS timestamptz[])) AS w(journey_id, low, high)
    ), ends AS (
        SELECT journey_id, count(*) AS stages,
               (array_agg(id ORDER BY position))[1] AS first_stage,
               (array_agg(id ORDER BY position DESC))[1] AS last_stage
        FROM stage WHERE workspace_id = :workspace_id AND journey_id = ANY(CAST(:ids AS uuid[]))
        GROUP BY journey_id
    )
    SELECT w.journey_id, coalesce(e.stages, 0) AS stages,
        coalesce(f.entered, 0) AS entered, coalesce(f.completed, 0) AS completed,
        (SELECT count(*) FROM alert a
         WHERE a.workspace_id = :workspace_id AND a.journey_id = w.journey_id
           AND a.status <> 'resolved') AS open_alerts
    FROM wanted w
    LEFT JOIN ends e ON e.journey_id = w.journey_id
    LEFT JOIN LATERAL (
        SELECT count(*) AS entered, count(l.customer_id) AS completed
        FROM stage_progress p
        LEFT JOIN stage_progress l ON l.workspace_id = p.workspace_id
            AND l.customer_id = p.customer_id AND l.journey_id = p.journey_id
            AND l.stage_id = e.last_stage AND l.stage_id <> e.first_stage
            AND l.entered_at >= p.entered_at AND l.entered_at <= :now
        WHERE p.workspace_id = :workspace_id AND p.journey_id = w.journey_id
          AND p.stage_id = e.first_stage
          AND p.entered_at >= w.low AND p.entered_at < w.high AND p.entered_at <= :now
    ) f ON true
    """
)


async def headlines(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    days: int = DAYS_DEFAULT,
    now: datetime | None = None,
) -> list[JourneyHeadline]:
    """Every journey of the workspace, by name, with its figures for the last `days`."""
    days = period_days(days)
    now = now or datetime.now(UTC)
    await fold.catch_up(session, workspace_id=workspace_id)
    journeys = await journey_service.list_all(session, workspace_id=workspace_id)
    if not journeys:
        return []
    periods = [choose_period(timezone=j.timezone, now=now, days=days) for j in journeys]
    bounds = [
        utc_period(p.start, p.end, j.timezone) for p, j in zip(periods, journeys, strict=True)
    ]
    rows = await session.execute(
        FIGURES,
        {
            "workspace_id": workspace_id,
            "ids": [j.id for j in journeys],
            "lows": [low for low, _ in bounds],
            "highs": [high for _, high in bounds],
            "now": now,
        },
    )
    figures = {row.journey_id: row for row in rows}
    return [
        JourneyHeadline(
            journey=journey,
            period=shown,
            stages=figures[journey.id].stages,
            entered=figures[journey.id].entered,
            completed=figures[journey.id].completed,
            open_alerts=figures[journey.id].open_alerts,
        )
        for journey, shown in zip(journeys, periods, strict=True)
    ]
