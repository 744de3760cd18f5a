"""Daily stage cohorts for drop-off alerts (domain.alert.evaluation.CohortSource), as of the
evaluation time T in one snapshot like every stage metric: per local day of entry, who entered
and who converted within the alert window A and within each shorter horizon (and by T), and
with `segments` split by persona (as of T) and by entry channel (docs/alerts.md, "Where the
cohorts come from").

`daily_cohorts` reads them from the daily rollups (domain.metrics.daily_rollups), exactly as
the progress rows give them: the rollup cells as of T (each persona's apart, with the customers
whose persona was another at T moved, when split), whose duration histograms hold every
conversion within the journey's window W >= A. A conversion within a horizon H lies in a
bucket below the one holding H, counted whole from the histogram, or in that one bucket,
counted from its progress rows alone (index ix_stage_progress_duration): at 5M events about
800 rows for six stages and seven edges, where the whole period holds 40,000. An alert window
longer than W (an alert stored before the journey's window shrank) is more than the
histograms hold: those cohorts are counted from the progress rows, as `live_cohorts` counts
them.

All the stages asked for are read together, so an evaluation costs the same few statements
however many stages it watches. The split is asked for only where an alert fires (it names
the driver).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import accumulate

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert.horizon import ELAPSED_HOURS
from domain.alert.statistics import Cohort, Days, Proportion, Segment
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.metrics import daily_rollups
from domain.metrics.definitions import (
    converted_by,
    duration_bucket,
    entered_in,
    persona_as_of,
)
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

# The conversions by T within each edge (the alert window and each shorter horizon, in
# seconds) that lie in the duration bucket holding the edge, per edge (its place i from 1),
# stage, day, entry touchpoint and persona as of T. $3 the stages, $4 low, $5 high, $6 T,
# $7 the buckets, $8 the edges, $9 the time zone (and $10, $11: _moved_joins).
STRADDLING = f"""
SELECT e.i, p.stage_id, (p.entered_at AT TIME ZONE $9)::date AS day, p.entry_touchpoint_id,
       {{persona}} AS persona, count(*) AS n
FROM unnest($3::uuid[]) AS s(id)
CROSS JOIN unnest($7::int[], $8::float8[]) WITH ORDINALITY AS e(bucket, seconds, i)
JOIN stage_progress p
  ON p.workspace_id = $1 AND p.journey_id = $2 AND p.stage_id = s.id
 AND p.duration_bucket = ANY($7::int[]) AND p.duration_bucket = e.bucket
 AND p.converted_at IS NOT NULL
{{moved}}
WHERE {entered_in("$4", "$5", "$6", "p")} AND {converted_by("e.seconds", "$6", "p")}
GROUP BY 1, 2, 3, 4, 5
"""


def _moved_joins(moved: daily_rollups.Moved) -> str:
    """Each part of the moved customers (the arrays sent as $10 and $11) joined to the rows,
    as m0, m1: a customer is in one part at most."""
    return "".join(
        f"LEFT JOIN ({part}) AS m{i} ON m{i}.id = p.customer_id\n"
        for i, part in enumerate(moved.parts("$6", None, 10))
    )


MOVED_PERSONA = """CASE WHEN m0.id IS NOT NULL THEN m0.persona_at
     WHEN m1.id IS NOT NULL THEN m1.persona_at ELSE p.persona_id END"""

# The channel of each of the journey's touchpoints and the name of each persona.
LABELS = """
SELECT id, 'channel' AS kind, channel AS label
FROM touchpoint WHERE workspace_id = $1 AND journey_id = $2
UNION ALL
SELECT id, 'persona', name FROM persona WHERE workspace_id = $1
"""

# Counts of one day and group (None: everybody; else a Segment): entered, converted within
# the alert window, then within each shorter horizon.
Counts = dict[date, dict[Segment | None, list[int]]]


def cohorts_sql(*, segments: bool) -> str:
    """The daily cohorts of some stages from the progress rows, split by persona and entry
    channel or not at all."""
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
    zeros), split by persona and entry channel with `segments`: from the daily rollups, or
    the progress rows where the alert window is longer than the journey's."""
    return await _read(
        session,
        workspace_id,
        journey_id,
        stage_ids,
        days,
        alert_window,
        as_of,
        segments,
        live=False,
    )


async def live_cohorts(
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
    """The same cohorts counted from the progress rows alone, whatever the alert window:
    what `daily_cohorts` falls back to, and what it is measured and tested against."""
    return await _read(
        session, workspace_id, journey_id, stage_ids, days, alert_window, as_of, segments, live=True
    )


async def _read(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_ids: Sequence[uuid.UUID],
    days: Days,
    alert_window: timedelta,
    as_of: datetime,
    segments: bool,
    *,
    live: bool,
) -> dict[uuid.UUID, list[Cohort]]:
    """The cohorts in one snapshot, from the progress rows when `live` or when the alert
    window is longer than the journey's (more than the rollups' histograms hold)."""
    async with snapshot(session, workspace_id=workspace_id) as reading:
        journey = await journey_service.get(
            reading, workspace_id=workspace_id, journey_id=journey_id
        )
        read = _from_rollups
        if live or alert_window > timedelta(days=journey.conversion_window_days):
            read = _from_progress
        counts = await read(
            await connection_of(reading),
            journey=journey,
            stage_ids=stage_ids,
            days=days,
            edges=_edges(alert_window),
            as_of=as_of,
            segments=segments,
        )
    return {stage_id: _cohorts(counts[stage_id], days, alert_window) for stage_id in stage_ids}


def _edges(alert_window: timedelta) -> list[float]:
    """The alert window, then each shorter horizon, in seconds: what conversions are counted
    within."""
    window = alert_window.total_seconds()
    return [window, *(hours * 3600.0 for hours in ELAPSED_HOURS if hours * 3600 < window)]


async def _from_progress(
    connection: asyncpg.Connection,
    *,
    journey: Journey,
    stage_ids: Sequence[uuid.UUID],
    days: Days,
    edges: list[float],
    as_of: datetime,
    segments: bool,
) -> dict[uuid.UUID, Counts]:
    low, high = period(days.first, days.last + timedelta(days=1), journey.timezone)
    rows = await connection.fetch(
        cohorts_sql(segments=segments),
        journey.workspace_id,
        list(stage_ids),
        low,
        high,
        as_of,
        edges[0],
        journey.timezone,
        journey.id,
    )
    columns = ["entered", "converted", *(f"within_{int(edge // 3600)}h" for edge in edges[1:])]
    counts: dict[uuid.UUID, Counts] = defaultdict(dict)
    for row in rows:
        for key in (None, Segment("persona", row["persona"]), Segment("channel", row["channel"])):
            if key is None or key.label is not None:  # no persona known (or no split read)
                _add(counts[row["stage_id"]], row["day"], key, [row[c] for c in columns])
    return counts


async def _from_rollups(
    connection: asyncpg.Connection,
    *,
    journey: Journey,
    stage_ids: Sequence[uuid.UUID],
    days: Days,
    edges: list[float],
    as_of: datetime,
    segments: bool,
) -> dict[uuid.UUID, Counts]:
    """The rollup cells of the days as of T, their conversions within each edge summed from
    the histogram buckets below it, then those of the bucket holding it counted from its
    progress rows."""
    start, end = days.first, days.last + timedelta(days=1)
    low, high = period(start, end, journey.timezone)
    workspace_id = journey.workspace_id
    named: dict[uuid.UUID, Segment] | None = None  # with the split: each one's segment
    moved: daily_rollups.Moved | None = None
    if segments:
        named = {
            row["id"]: Segment(row["kind"], row["label"])
            for row in await connection.fetch(LABELS, workspace_id, journey.id)
            if row["label"] is not None
        }
        moved = await daily_rollups.prepare_to_move(
            connection, workspace_id=workspace_id, as_of=as_of
        )
    read = await daily_rollups.cells(
        connection,
        workspace_id=workspace_id,
        journey_id=journey.id,
        timezone=journey.timezone,
        window=timedelta(days=journey.conversion_window_days),
        start=start,
        end=end,
        as_of=as_of,
        personas=daily_rollups.Personas.EACH if segments else daily_rollups.Personas.ANY,
        moved=moved,
    )
    buckets = [duration_bucket(edge) for edge in edges]
    persona = "p.persona_id" if segments else "NULL::uuid"
    straddling = await connection.fetch(
        STRADDLING.format(
            persona=MOVED_PERSONA if moved is not None else persona,
            moved=_moved_joins(moved) if moved is not None else "",
        ),
        workspace_id,
        journey.id,
        list(stage_ids),
        low,
        high,
        as_of,
        buckets,
        edges,
        journey.timezone,
        *(moved.arguments if moved is not None else ()),
    )
    wanted = set(stage_ids)
    entered: dict[tuple, int] = defaultdict(int)
    histograms: dict[tuple, int] = defaultdict(int)  # packed: summed, then unpacked once
    for cell in read.cells:
        if cell.stage_id in wanted:
            for key in _groups(named, cell.touchpoint_id, cell.persona):
                entered[cell.stage_id, cell.day, key] += cell.entered
                histograms[cell.stage_id, cell.day, key] += cell.histogram
    counts: dict[uuid.UUID, Counts] = defaultdict(dict)
    for (stage_id, day, key), histogram in histograms.items():
        below = _running(daily_rollups.unpacked(histogram), buckets)
        _add(counts[stage_id], day, key, [entered[stage_id, day, key], *below])
    for row in straddling:
        within = [0] * (1 + len(edges))
        within[row["i"]] = row["n"]
        for key in _groups(named, row["entry_touchpoint_id"], row["persona"]):
            _add(counts[row["stage_id"]], row["day"], key, within)
    return counts


def _running(histogram: list[int], buckets: list[int]) -> list[int]:
    """The sum of the histogram's buckets below each of `buckets` (a sum of cells' packed
    histograms unpacks exactly: each of its buckets is a count, daily_rollups.packed)."""
    running = list(accumulate(histogram, initial=0))  # running[b]: the buckets below b
    top = len(histogram)
    return [running[min(bucket, top)] for bucket in buckets]


def _groups(
    segments: dict[uuid.UUID, Segment] | None, touchpoint: uuid.UUID, persona: uuid.UUID | None
) -> list[Segment | None]:
    """Whose counts a cell or row adds to: everybody's (None), and with the split (the
    segment of each touchpoint and persona that has a name) its persona's as of T and its
    entry channel's."""
    if segments is None:
        return EVERYBODY
    groups: list[Segment | None] = [None]
    for key in (persona, touchpoint):
        if key is not None and key in segments:
            groups.append(segments[key])
    return groups


EVERYBODY: list[Segment | None] = [None]


def _add(counts: Counts, day: date, key: Segment | None, values: list[int]) -> None:
    target = counts.setdefault(day, {}).setdefault(key, [0] * len(values))
    for i, value in enumerate(values):
        target[i] += value


def _cohorts(counts: Counts, days: Days, alert_window: timedelta) -> list[Cohort]:
    """One stage's cohort of each day, in total and by segment, for the alert window and
    each shorter horizon."""
    window_hours = alert_window.total_seconds() / 3600
    shorter = [hours for hours in ELAPSED_HOURS if hours < window_hours]
    cohorts = []
    day = days.first
    while day <= days.last:
        groups = counts.get(day, {})
        total = groups.get(None, [0] * (2 + len(shorter)))
        # a segment whose every entry lies after T or was moved to another persona: nobody
        parts = {key: values for key, values in groups.items() if key is not None and values[0]}
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
