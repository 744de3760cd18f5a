"""Daily stage cohorts for drop-off alerts (domain.alert.evaluation.CohortSource), counted from
the stored progress in one snapshot like every stage metric: per local day of entry, who
entered and who converted within the alert window and within each shorter horizon (and by the
evaluation time), and with `segments` split by persona (as of that time) and by entry channel
(docs/alerts.md).

All the stages asked for are read in one statement, so an evaluation costs the same few
statements however many stages it watches. The split is asked for only where an alert fires
(it names the driver): the persona as of T costs a look-up of every customer, which made the
read of 33,000 progress rows (a journey's 31 days at 5M events) about 10× slower.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
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

# $2 the stages, $3 low, $4 high, $5 T, $6 the alert window in seconds, $7 the time zone, $8 journey
COHORTS = """
SELECT p.stage_id, (p.entered_at AT TIME ZONE $7)::date AS day, {persona} AS persona,
       {channel} AS channel, count(*) AS entered,
       count(*) FILTER (WHERE {converted}) AS converted{within}
FROM stage_progress p
{joins}
WHERE p.workspace_id = $1 AND p.journey_id = $8 AND p.stage_id = ANY($2::uuid[])
  AND {entered}
GROUP BY 1, 2, 3, 4
"""
SEGMENT_JOINS = f"""
JOIN customer c ON c.workspace_id = p.workspace_id AND c.id = p.customer_id
LEFT JOIN touchpoint t ON t.workspace_id = p.workspace_id AND t.id = p.entry_touchpoint_id
LEFT JOIN persona
  ON persona.workspace_id = p.workspace_id AND persona.id = ({persona_as_of("$5")})
"""


def cohorts_sql(*, segments: bool) -> str:
    """The daily cohorts of some stages, split by persona and entry channel or not at all."""
    return COHORTS.format(
        persona="persona.name" if segments else "NULL::text",
        channel="t.channel" if segments else "NULL::text",
        converted=converted_by("$6", "$5", "p"),
        within=WITHIN,
        joins=SEGMENT_JOINS if segments else "",
        entered=entered_in("$3", "$4", "$5", "p"),
    )


async def daily_cohorts(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_ids: Sequence[uuid.UUID],
    days: Days,
    alert_window: timedelta,
    as_of: datetime,
    segments: bool = False,
) -> dict[uuid.UUID, list[Cohort]]:
    """For each stage, one cohort per day in `days` (days nobody entered included, with
    zeros), split by persona and entry channel with `segments`."""
    async with snapshot(session, workspace_id=workspace_id) as reading:
        journey = await journey_service.get(
            reading, workspace_id=workspace_id, journey_id=journey_id
        )
        low, high = period(days.first, days.last + timedelta(days=1), journey.timezone)
        connection = await connection_of(reading)
        rows = await connection.fetch(
            cohorts_sql(segments=segments),
            workspace_id,
            list(stage_ids),
            low,
            high,
            as_of,
            alert_window.total_seconds(),
            journey.timezone,
            journey_id,
        )
    by_stage: dict = defaultdict(list)
    for row in rows:
        by_stage[row["stage_id"]].append(row)
    return {stage_id: _cohorts(by_stage[stage_id], days, alert_window) for stage_id in stage_ids}


def _cohorts(rows, days: Days, alert_window: timedelta) -> list[Cohort]:
    """One stage's rows summed per day, in total and by segment, for the alert window and
    each shorter horizon."""
    window_hours = alert_window.total_seconds() / 3600
    shorter = [hours for hours in ELAPSED_HOURS if hours < window_hours]
    columns = ["entered", "converted", *(f"within_{hours}h" for hours in shorter)]
    totals: dict = defaultdict(lambda: [0] * len(columns))
    segments: dict = defaultdict(lambda: defaultdict(lambda: [0] * len(columns)))
    for row in rows:
        counts = [row[column] for column in columns]
        targets = [totals[row["day"]]]
        for segment in (Segment("persona", row["persona"]), Segment("channel", row["channel"])):
            if segment.label is not None:  # no persona known (or no split read): not named
                targets.append(segments[row["day"]][segment])
        for target in targets:
            for i, count in enumerate(counts):
                target[i] += count
    cohorts = []
    day = days.first
    while day <= days.last:
        total, parts = totals.get(day, [0] * len(columns)), segments.get(day, {})
        sooner = {hours: _counted(day, total, parts, 2 + i) for i, hours in enumerate(shorter)}
        cohorts.append(_counted(day, total, parts, 1, sooner))
        day += timedelta(days=1)
    return cohorts


def _counted(
    day: date, total: list[int], parts: dict, column: int, sooner: dict | None = None
) -> Cohort:
    """The day's cohort with conversions taken from one count column."""
    return Cohort(
        day,
        total[0],
        total[column],
        {k: Proportion(v[0], v[column]) for k, v in parts.items()} if parts else {},
        sooner or {},
    )
