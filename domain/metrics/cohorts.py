"""Daily stage cohorts for drop-off alerts (domain.alert.evaluation.CohortSource), counted from
the stored progress in one snapshot like every stage metric: per local day of entry, who
entered and who converted within the alert window and within each shorter horizon (and by the
evaluation time), split by persona (as of that time) and by entry channel (docs/alerts.md)."""

import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert.horizon import ELAPSED_HOURS
from domain.alert.statistics import Cohort, Days, Proportion, Segment
from domain.journey import service as journey_service
from domain.metrics.definitions import converted_by, entered_in, persona_as_of
from domain.metrics.periods import period
from domain.metrics.snapshot import snapshot
from domain.pg import connection_of

# Converted within each horizon no longer than the alert window, one column per horizon.
WITHIN = "".join(
    f", count(*) FILTER (WHERE {converted_by(f'least($6, {hours * 3600})', '$5', 'p')}) "
    f"AS within_{hours}h"
    for hours in ELAPSED_HOURS
)

# $2 stage, $3 low, $4 high, $5 T, $6 the alert window in seconds, $7 the time zone, $8 journey
COHORTS = f"""
SELECT (p.entered_at AT TIME ZONE $7)::date AS day, persona.name AS persona,
       t.channel, count(*) AS entered, count(*) FILTER (WHERE {converted_by("$6", "$5", "p")})
       AS converted{WITHIN}
FROM stage_progress p
JOIN customer c ON c.workspace_id = p.workspace_id AND c.id = p.customer_id
LEFT JOIN touchpoint t ON t.workspace_id = p.workspace_id AND t.id = p.entry_touchpoint_id
LEFT JOIN persona
  ON persona.workspace_id = p.workspace_id AND persona.id = ({persona_as_of("$5")})
WHERE p.workspace_id = $1 AND p.journey_id = $8 AND p.stage_id = $2
  AND {entered_in("$3", "$4", "$5", "p")}
GROUP BY 1, 2, 3
"""


async def daily_cohorts(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_id: uuid.UUID,
    days: Days,
    alert_window: timedelta,
    as_of: datetime,
) -> list[Cohort]:
    """One cohort per day in `days` (days nobody entered included, with zeros)."""
    async with snapshot(session, workspace_id=workspace_id) as reading:
        journey = await journey_service.get(
            reading, workspace_id=workspace_id, journey_id=journey_id
        )
        low, high = period(days.first, days.last + timedelta(days=1), journey.timezone)
        connection = await connection_of(reading)
        rows = await connection.fetch(
            COHORTS,
            workspace_id,
            stage_id,
            low,
            high,
            as_of,
            alert_window.total_seconds(),
            journey.timezone,
            journey_id,
        )
    window_hours = alert_window.total_seconds() / 3600
    shorter = [hours for hours in ELAPSED_HOURS if hours < window_hours]
    columns = ["entered", "converted", *(f"within_{hours}h" for hours in shorter)]
    totals: dict = defaultdict(lambda: [0] * len(columns))
    segments: dict = defaultdict(lambda: defaultdict(lambda: [0] * len(columns)))
    for row in rows:
        counts = [row[column] for column in columns]
        targets = [totals[row["day"]]]
        for segment in (Segment("persona", row["persona"]), Segment("channel", row["channel"])):
            if segment.label is not None:  # no persona known: not a segment an alert can name
                targets.append(segments[row["day"]][segment])
        for target in targets:
            for i, count in enumerate(counts):
                target[i] += count
    cohorts = []
    day = days.first
    while day <= days.last:
        total, parts = totals.get(day, [0] * len(columns)), segments.get(day, {})
        whole = _counted(day, total, parts, 1)
        sooner = {hours: _counted(day, total, parts, 2 + i) for i, hours in enumerate(shorter)}
        cohorts.append(replace(whole, sooner=sooner))
        day += timedelta(days=1)
    return cohorts


def _counted(day: date, total: list[int], parts: dict, column: int) -> Cohort:
    """The day's cohort with conversions taken from one count column."""
    return Cohort(
        day=day,
        entered=total[0],
        converted=total[column],
        segments={k: Proportion(v[0], v[column]) for k, v in parts.items()},
    )
