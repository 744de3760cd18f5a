"""Stage metrics exactly as docs/metrics.md defines them, read from the daily rollups of the
progress kept at ingest (domain.metrics.rollup), or counted live from that progress where a
rollup cannot answer (a persona as of the evaluation time).

For a journey, a period [start, end) of local days in the journey's time zone and an
evaluation time T: per stage, the customers whose first reach lies in the period (and at or
before T) entered; of them, those with a later-stage event within the conversion window and at
or before T converted; those whose window closed by T without one dropped; the rest are pending.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.metrics import fold, rollup
from domain.metrics.periods import Granularity, bucket_of, period, rate
from domain.pg import connection_of
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.validation import one_of, storable_time
from domain.vocabulary import Channel

PERIOD_DAYS_MAX = 731
SECONDS_PER_DAY = 86400


class Breakdown(StrEnum):
    PERSONA = "persona"  # the customer's persona as of the evaluation time
    CHANNEL = "channel"  # the channel of the touchpoint through which they entered the stage


@dataclass(frozen=True, slots=True)
class StageFigures:
    stage_id: uuid.UUID
    stage: str
    position: int
    entered: int
    converted: int | None
    dropped: int | None
    pending: int | None
    conversion_rate: float | None
    drop_off_rate: float | None
    median_time_to_convert: float | None  # seconds
    p90_time_to_convert: float | None  # seconds


@dataclass(frozen=True, slots=True)
class Bucket:
    start: date  # a local day, or the Monday of a week
    stages: list[StageFigures]


@dataclass(frozen=True, slots=True)
class Segment:
    key: str | None  # a persona id or a channel; None: no persona / unknown
    stages: list[StageFigures]


@dataclass(frozen=True, slots=True)
class Reach:
    touchpoint_id: uuid.UUID
    stage_id: uuid.UUID
    customers: int  # who first reached the touchpoint in the period


@dataclass(frozen=True, slots=True)
class Filters:
    persona_id: uuid.UUID | None = None
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class StageMetrics:
    journey_id: uuid.UUID
    start: date
    end: date
    as_of: datetime
    timezone: str
    conversion_window_days: int
    stages: list[StageFigures]
    series: list[Bucket]
    reach: list[Reach]


@dataclass(frozen=True, slots=True)
class _Query:
    """One evaluation: the period as UTC instants and everything the SQL needs."""

    journey: Journey
    stages: list[Stage]
    start: date
    end: date
    low: datetime
    high: datetime
    as_of: datetime
    filters: Filters


async def _prepare(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    start: date,
    end: date,
    as_of: datetime | None,
    persona_id: uuid.UUID | None,
    channel: Channel | str | None,
) -> _Query:
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    storable_time(start, field="from", label="The period's first day")
    storable_time(end, field="to", label="The period's end")
    if as_of is not None:
        storable_time(as_of, field="asOf", label="The evaluation time (asOf)")
    if end <= start:
        raise ValidationError("The period must end after it starts.", field="to")
    if end - start > timedelta(days=PERIOD_DAYS_MAX):
        raise ValidationError(
            f"A period spans at most {PERIOD_DAYS_MAX} days; ask for a shorter one.",
            field="to",
            code=ErrorCode.OUT_OF_RANGE,
        )
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    low, high = period(start, end, journey.timezone)
    stages = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey_id
    )
    filters = Filters(
        persona_id=persona_id,
        channel=one_of(Channel, channel, field="channel", label="Channel") if channel else None,
    )
    return _Query(journey, stages, start, end, low, high, as_of or datetime.now(UTC), filters)


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
) -> StageMetrics:
    """Per-stage figures for entries in [start, end) (local days), as of `as_of` (default
    now), with a daily or weekly series and touchpoint reach, optionally for one persona or
    entry channel."""
    await fold.catch_up(session, workspace_id=workspace_id)
    query = await _prepare(
        session, workspace_id, journey_id, start, end, as_of, persona_id, channel
    )
    connection = await connection_of(session)
    by: Granularity | None = None
    if granularity:
        by = one_of(Granularity, granularity, field="granularity", label="Granularity")
    read = None
    if query.filters.persona_id is None:
        read = await _read(connection, query, by)
    if read is not None:
        totals, by_bucket, reach = read
    else:  # a persona as of the evaluation time needs each customer; or the rollups kept
        # changing under the reading: counted live, in one statement
        totals = await _figures(connection, query, group=None)
        by_bucket = {}
        if by:
            by_bucket = await _figures(connection, query, group=f"bucket_{by.value}")
        reach = await _reach(connection, query)
    series: list[Bucket] = []
    if by:
        series = [
            Bucket(day, _stage_figures(query, by_bucket.get(day.isoformat(), {})))
            for day in _buckets(start, end, by)
        ]
    return StageMetrics(
        journey_id=query.journey.id,
        start=start,
        end=end,
        as_of=query.as_of,
        timezone=query.journey.timezone,
        conversion_window_days=query.journey.conversion_window_days,
        stages=_stage_figures(query, totals.get(None, {})),
        series=series,
        reach=reach,
    )


async def stage_breakdown(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    start: date,
    end: date,
    by: Breakdown | str,
    as_of: datetime | None = None,
) -> list[Segment]:
    """The stage figures per persona (as of the evaluation time) or per entry channel; only
    segments with entries are listed."""
    by = one_of(Breakdown, by, field="by", label="Breakdown")
    await fold.catch_up(session, workspace_id=workspace_id)
    query = await _prepare(session, workspace_id, journey_id, start, end, as_of, None, None)
    connection = await connection_of(session)
    grouped = None
    if by is Breakdown.CHANNEL:
        grouped = await _from_rollups(
            connection,
            query,
            lambda rolled: rolled.figures(rolled.channel, scope=rolled.channel_scope),
        )
    if grouped is None:  # by persona (as of the evaluation time), or the rollups kept changing
        grouped = await _figures(connection, query, group=by.value)
    return [
        Segment(key, _stage_figures(query, rows))
        for key, rows in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]


Row = Mapping[str, Any]  # entered, converted, dropped, percentiles ([median, p90] or None)
Grouped = dict[Any, dict[uuid.UUID, Row]]


T = TypeVar("T")

READ_ATTEMPTS = 3  # readings of the rollups a concurrent commit may spoil before counting live


async def _from_rollups(
    connection: asyncpg.Connection,
    query: _Query,
    compute: Callable[["_Rollup"], Awaitable[T]],
) -> T | None:
    """`compute` over a reading of the rollups; None when a commit landed between the
    statements of every attempt (the caller counts live, in one statement)."""
    for _ in range(READ_ATTEMPTS):
        rolled = await _Rollup.read(connection, query)
        try:
            return await compute(rolled)
        except rollup.Changed:
            continue
    return None


async def _read(
    connection: asyncpg.Connection, query: _Query, granularity: Granularity | None
) -> tuple[Grouped, Grouped, list[Reach]] | None:
    """Totals, series and reach from the rollups, or None (see _from_rollups)."""

    async def compute(rolled: _Rollup) -> tuple[Grouped, Grouped, list[Reach]]:
        totals = await rolled.figures(rolled.total)
        by_bucket: Grouped = {}
        if granularity:
            by_bucket = await rolled.figures(
                rolled.series(granularity), scope=rolled.series_scope(granularity)
            )
        return totals, by_bucket, await rolled.reach()

    return await _from_rollups(connection, query, compute)


@dataclass(frozen=True, slots=True)
class _Rollup:
    """One evaluation read from the daily rollups (domain.metrics.rollup): every stage, day and
    entry touchpoint of the period as of the evaluation time, grouped as asked."""

    query: _Query
    connection: asyncpg.Connection
    cells: list[rollup.Cell]
    version: frozenset[str]
    touchpoint_rows: list[asyncpg.Record]  # the journey's touchpoints: id, stage_id, channel
    channels: dict[uuid.UUID, str]

    @classmethod
    async def read(cls, connection: asyncpg.Connection, query: _Query) -> "_Rollup":
        journey = query.journey
        await connection.execute("SELECT set_config('jit', 'off', true)")
        touchpoints = await connection.fetch(
            "SELECT id, stage_id, channel FROM touchpoint WHERE workspace_id = $1 "
            "AND journey_id = $2",
            journey.workspace_id,
            journey.id,
        )
        read = await rollup.cells(
            connection,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            timezone=journey.timezone,
            window=timedelta(days=journey.conversion_window_days),
            start=query.start,
            end=query.end,
            as_of=query.as_of,
        )
        channels = {row["id"]: row["channel"] for row in touchpoints}
        return cls(query, connection, read.cells, read.version, touchpoints, channels)

    def channel(self, cell: rollup.Cell) -> str | None:
        return self.channels.get(cell.touchpoint_id)

    def keep(self, cell: rollup.Cell) -> bool:
        wanted = self.query.filters.channel
        return wanted is None or self.channel(cell) == wanted.value

    def total(self, cell: rollup.Cell) -> bool | None:
        """The one group (None) of every cell the filters keep (the others: False)."""
        return self.keep(cell) and None

    def series(self, granularity: Granularity) -> Callable[[rollup.Cell], str | bool]:
        """Group by day or week (ISO date of its start), cells the filters keep."""
        return lambda cell: self.keep(cell) and bucket_of(cell.day, granularity).isoformat()

    def series_scope(self, granularity: Granularity) -> Callable[[Any], rollup.Scope]:
        return lambda key: self.days(date.fromisoformat(key), granularity)

    def touchpoints(self, channel: str | None) -> frozenset[uuid.UUID]:
        return frozenset(c.touchpoint_id for c in self.cells if self.channel(c) == channel)

    def _filtered(self) -> frozenset[uuid.UUID] | None:
        wanted = self.query.filters.channel
        return None if wanted is None else self.touchpoints(wanted.value)

    def scope(self, _key: object) -> rollup.Scope:
        return rollup.Scope(self.query.low, self.query.high, self._filtered())

    def channel_scope(self, key: object) -> rollup.Scope:
        assert key is None or isinstance(key, str)
        return rollup.Scope(self.query.low, self.query.high, self.touchpoints(key))

    def days(self, first: date, granularity: Granularity) -> rollup.Scope:
        after = first + timedelta(days=7 if granularity is Granularity.WEEK else 1)
        query = self.query
        low, high = period(max(first, query.start), min(after, query.end), query.journey.timezone)
        return rollup.Scope(low, high, self._filtered())

    async def figures(
        self,
        key: Callable[[rollup.Cell], Any],
        scope: Callable[[Any], rollup.Scope] | None = None,
    ) -> Grouped:
        """Figures per group key and stage; a key of False leaves a cell out; groups nobody
        entered are left out."""
        groups = {
            k: stages
            for k, stages in rollup.group(self.cells, key).items()
            if k is not False and any(t.entered for t in stages.values())
        }
        last = self.query.stages[-1].id if self.query.stages else None
        wanted = [
            ((scope or self.scope)(k), stage_id, totals)
            for k, stages in groups.items()
            for stage_id, totals in stages.items()
            if stage_id != last
        ]
        journey = self.query.journey
        values = await rollup.percentiles(
            self.connection,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            window=timedelta(days=journey.conversion_window_days),
            as_of=self.query.as_of,
            start=self.query.start,
            end=self.query.end,
            version=self.version,
            wanted=wanted,
        )
        found = iter(values)
        return {
            k: {
                stage_id: {
                    "entered": totals.entered,
                    "converted": totals.converted,
                    "dropped": totals.dropped,
                    "percentiles": None if stage_id == last else next(found),
                }
                for stage_id, totals in stages.items()
            }
            for k, stages in groups.items()
        }

    async def reach(self) -> list[Reach]:
        journey = self.query.journey
        customers = await rollup.reach(
            self.connection,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            timezone=journey.timezone,
            start=self.query.start,
            end=self.query.end,
            as_of=self.query.as_of,
        )
        wanted = self.query.filters.channel
        order = {stage.id: stage.position for stage in self.query.stages}
        return sorted(
            (
                Reach(row["id"], row["stage_id"], customers.get(row["id"], 0))
                for row in self.touchpoint_rows
                if wanted is None or row["channel"] == wanted.value
            ),
            key=lambda r: (order.get(r.stage_id, 0), str(r.touchpoint_id)),
        )


def _buckets(start: date, end: date, granularity: Granularity) -> list[date]:
    buckets: list[date] = []
    day = start
    while day < end:
        bucket = bucket_of(day, granularity)
        if not buckets or buckets[-1] != bucket:
            buckets.append(bucket)
        day += timedelta(days=1)
    return buckets


PERSONA_AS_OF = """
    CASE WHEN c.persona_set_at IS NULL OR c.persona_set_at <= $5 THEN c.persona_id
    ELSE (SELECT h.persona_id FROM customer_persona h
          WHERE h.workspace_id = c.workspace_id AND h.customer_id = c.id AND h.set_at <= $5
          ORDER BY h.set_at DESC, h.message_id COLLATE "C" DESC LIMIT 1) END"""
CUSTOMER_JOIN = "JOIN customer c ON c.workspace_id = p.workspace_id AND c.id = p.customer_id"
TOUCHPOINT_JOIN = (
    "LEFT JOIN touchpoint t ON t.workspace_id = p.workspace_id AND t.id = p.entry_touchpoint_id"
)
GROUP_KEYS = {
    None: "NULL::text",
    "bucket_day": "date_trunc('day', p.entered_at AT TIME ZONE $7)::date::text",
    "bucket_week": "date_trunc('week', p.entered_at AT TIME ZONE $7)::date::text",
    "persona": f"({PERSONA_AS_OF})::text",
    "channel": "t.channel::text",
}


def _filters(query: _Query, group: str | None) -> tuple[list[str], list[str], list[Any]]:
    """Joins, conditions and the parameters from $7 on that grouping and filters need."""
    joins: list[str] = []
    conditions: list[str] = []
    values: list[Any] = [query.journey.timezone] if group and group.startswith("bucket") else []
    if query.filters.persona_id is not None or group == "persona":
        joins.append(CUSTOMER_JOIN)
    if query.filters.channel is not None or group == "channel":
        joins.append(TOUCHPOINT_JOIN)
    if query.filters.persona_id is not None:
        values.append(query.filters.persona_id)
        conditions.append(f"({PERSONA_AS_OF}) = ${6 + len(values)}")
    if query.filters.channel is not None:
        values.append(query.filters.channel.value)
        conditions.append(f"t.channel = ${6 + len(values)}")
    return joins, conditions, values


async def _figures(connection: asyncpg.Connection, query: _Query, *, group: str | None) -> Grouped:
    joins, conditions, values = _filters(query, group)
    where = "".join(" AND " + condition for condition in conditions)
    sql = f"""
        WITH entry AS (
            SELECT p.stage_id, p.entered_at, p.converted_at, {GROUP_KEYS[group]} AS key,
                   p.entered_at + make_interval(secs => $6) AS window_end
            FROM stage_progress p {" ".join(joins)}
            WHERE p.workspace_id = $1 AND p.journey_id = $2 AND p.entered_at >= $3
              AND p.entered_at < $4 AND p.entered_at <= $5 {where}
        ), judged AS (
            SELECT *, (converted_at <= window_end AND converted_at <= $5) IS TRUE AS converted,
                   (extract(epoch FROM converted_at) - extract(epoch FROM entered_at))::float8
                       AS seconds
            FROM entry
        )
        SELECT stage_id, key, count(*) AS entered,
               count(*) FILTER (WHERE converted) AS converted,
               count(*) FILTER (WHERE NOT converted AND window_end <= $5) AS dropped,
               percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY seconds)
                   FILTER (WHERE converted) AS percentiles
        FROM judged GROUP BY stage_id, key
    """
    rows = await connection.fetch(
        sql,
        query.journey.workspace_id,
        query.journey.id,
        query.low,
        query.high,
        query.as_of,
        float(query.journey.conversion_window_days * SECONDS_PER_DAY),
        *values,
    )
    grouped: Grouped = {}
    for row in rows:
        grouped.setdefault(row["key"], {})[row["stage_id"]] = row
    return grouped


def _stage_figures(query: _Query, rows: Mapping[uuid.UUID, Row]) -> list[StageFigures]:
    figures = []
    for stage in query.stages:
        row = rows.get(stage.id)
        entered = row["entered"] if row else 0
        if stage is query.stages[-1]:  # the last stage has nowhere to convert to
            figures.append(
                StageFigures(
                    stage.id,
                    stage.name,
                    stage.position,
                    entered,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
            )
            continue
        converted = row["converted"] if row else 0
        dropped = row["dropped"] if row else 0
        figures.append(
            StageFigures(
                stage_id=stage.id,
                stage=stage.name,
                position=stage.position,
                entered=entered,
                converted=converted,
                dropped=dropped,
                pending=entered - converted - dropped,
                conversion_rate=rate(converted, entered),
                drop_off_rate=rate(dropped, entered),
                median_time_to_convert=row["percentiles"][0] if row and converted else None,
                p90_time_to_convert=row["percentiles"][1] if row and converted else None,
            )
        )
    return figures


async def _reach(connection: asyncpg.Connection, query: _Query) -> list[Reach]:
    values: list[Any] = []
    persona = channel = ""
    if query.filters.persona_id is not None:
        values.append(query.filters.persona_id)
        persona = f"""AND EXISTS (SELECT 1 FROM customer c
            WHERE c.workspace_id = r.workspace_id AND c.id = r.customer_id
              AND ({PERSONA_AS_OF}) = ${5 + len(values)})"""
    if query.filters.channel is not None:
        values.append(query.filters.channel.value)
        channel = f"AND t.channel = ${5 + len(values)}"
    rows = await connection.fetch(
        f"""
        SELECT t.id, t.stage_id, (
            SELECT count(*) FROM touchpoint_reach r
            WHERE r.workspace_id = t.workspace_id AND r.touchpoint_id = t.id
              AND r.first_reached_at >= $3 AND r.first_reached_at < $4
              AND r.first_reached_at <= $5 {persona}) AS customers
        FROM touchpoint t
        WHERE t.workspace_id = $1 AND t.journey_id = $2 {channel}
        """,
        query.journey.workspace_id,
        query.journey.id,
        query.low,
        query.high,
        query.as_of,
        *values,
    )
    order = {stage.id: stage.position for stage in query.stages}
    return sorted(
        (Reach(row["id"], row["stage_id"], row["customers"]) for row in rows),
        key=lambda r: (order.get(r.stage_id, 0), str(r.touchpoint_id)),
    )


@dataclass(frozen=True, slots=True)
class UnmappedEvent:
    name: str
    events: int
    last_received_at: datetime


async def unmapped_events(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[UnmappedEvent]:
    """Event names received that no touchpoint of any journey maps yet, with their counts."""
    await fold.catch_up(session, workspace_id=workspace_id)
    connection = await connection_of(session)
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
