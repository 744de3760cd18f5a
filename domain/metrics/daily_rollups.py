"""Stage metrics from the daily rollups (`stage_day`, `touchpoint_day`), exactly as the progress
table would give them.

A rollup row counts the entries of one local day, stage and entry touchpoint, the conversions
within the journey's window, their durations as a histogram, and `latest`, an upper bound of
every timestamp it counted. As of a time T a day whose rows all have `latest` <= T reads from
the rollup as it is (every counted entry and conversion lies at or before T); the other days
(T inside or before them, or a historical T) are counted live from stage_progress. Dropped
entries of a rollup day are all its unconverted ones when its end lies at or before T - W,
none when its start lies after, and a live count for the one day holding T - W.

Exact percentiles: the summed histograms say which duration bucket holds each rank that
percentile_cont interpolates between, and one query fetches just those ranks from the
progress rows of that bucket (index `ix_stage_progress_duration`).
"""

import math
import operator
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain.metrics.definitions import (
    PERCENTILES,
    converted_by,
    converted_within,
    dropped_by,
    duration_seconds,
    entered_in,
)
from domain.metrics.evaluation import Evaluation
from domain.metrics.figures import Grouped, Reach, touchpoint_reach
from domain.metrics.periods import Granularity, bucket_of, period, start_of_day


@dataclass(slots=True)
class Cell:
    """Figures of one stage, local day and entry touchpoint, as of the evaluation time."""

    stage_id: uuid.UUID
    day: date
    touchpoint_id: uuid.UUID
    entered: int = 0
    converted: int = 0
    dropped: int = 0
    histogram: list[int] = field(default_factory=list)  # element b counts duration bucket b


@dataclass(slots=True)
class Totals:
    """Cells summed over a group (a period, a series bucket, a channel)."""

    entered: int = 0
    converted: int = 0
    dropped: int = 0
    histogram: list[int] = field(default_factory=list)

    def add(self, cell: Cell) -> None:
        self.entered += cell.entered
        self.converted += cell.converted
        self.dropped += cell.dropped
        _add_into(self.histogram, cell.histogram)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose conversions a group's percentiles range over: entries in [low, high) through
    one of `touchpoints` (None: any)."""

    low: datetime
    high: datetime
    touchpoints: frozenset[uuid.UUID] | None


def _add_into(total: list[int], histogram: list[int]) -> None:
    if len(histogram) > len(total):
        total.extend([0] * (len(histogram) - len(total)))
    total[: len(histogram)] = map(operator.add, total, histogram)


@dataclass(frozen=True, slots=True)
class Cells:
    cells: list[Cell]
    taken_back: int  # progress rows the rollup counted that lie after the evaluation time


# The rollup rows of the period (kind r), what those up to the day holding the evaluation time T
# counted after T (kind c: entries after it; conversions after it of entries before it), and
# the dropped entries of the day holding the cutoff T - W (kind d). $7 is T, $8 W in seconds.
CELLS = f"""
SELECT 'r' AS kind, day, stage_id, entry_touchpoint_id, entered AS n, converted, histogram,
       NULL::bool AS later, NULL::int AS bucket
FROM stage_day WHERE workspace_id = $1 AND journey_id = $2 AND day >= $3 AND day < $4
UNION ALL
SELECT 'c', (entered_at AT TIME ZONE $9)::date, stage_id, entry_touchpoint_id, count(*), NULL,
       NULL, entered_at > $7,
       CASE WHEN {converted_within("$8")} THEN duration_bucket ELSE -1 END
FROM (
    SELECT entered_at, converted_at, stage_id, entry_touchpoint_id, duration_bucket
    FROM stage_progress
    WHERE workspace_id = $1 AND journey_id = $2 AND entered_at >= $5 AND entered_at < $12
      AND entered_at > $7
    UNION ALL
    SELECT entered_at, converted_at, stage_id, entry_touchpoint_id, duration_bucket
    FROM stage_progress
    WHERE workspace_id = $1 AND journey_id = $2 AND converted_at IS NOT NULL
      AND converted_at > $7 AND converted_at <= $6::timestamptz + make_interval(secs => $8)
      AND {entered_in("$5", "$6", "$7")} AND {converted_within("$8")}
) p
GROUP BY 2, 3, 4, 8, 9
UNION ALL
SELECT 'd', $10, stage_id, entry_touchpoint_id, count(*), NULL, NULL, NULL, NULL
FROM stage_progress
WHERE workspace_id = $1 AND journey_id = $2 AND entered_at >= $11 AND {dropped_by("$8", "$7")}
GROUP BY 3, 4
"""


async def cells(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    timezone: str,
    window: timedelta,
    start: date,
    end: date,
    as_of: datetime,
) -> Cells:
    """Every (stage, day, entry touchpoint) of the local days [start, end), as of `as_of`."""
    cutoff = as_of - window  # entries at or before it whose window closed unconverted dropped
    edge = cutoff.astimezone(ZoneInfo(timezone)).date()
    today = as_of.astimezone(ZoneInfo(timezone)).date()  # later days: nobody entered yet
    rows = await connection.fetch(
        CELLS,
        workspace_id,
        journey_id,
        start,
        end,
        start_of_day(start, timezone),
        start_of_day(end, timezone),
        as_of,
        window.total_seconds(),
        timezone,
        edge,
        start_of_day(edge, timezone) if start <= edge < end else cutoff + timedelta(days=1),
        min(start_of_day(today + timedelta(days=1), timezone), start_of_day(end, timezone)),
    )
    by_key: dict[tuple[uuid.UUID, date, uuid.UUID], Cell] = {}
    taken_back = 0
    for row in rows:
        key = (row["stage_id"], row["day"], row["entry_touchpoint_id"])
        if row["kind"] == "r":
            if row["day"] > today:  # nobody had entered yet
                continue
            cell = by_key[key] = Cell(*key, row["n"], row["converted"], 0, row["histogram"])
            if cell.day < edge:  # every entry of the day lies at or before the cutoff
                cell.dropped = cell.entered - cell.converted
    for row in rows:
        key = (row["stage_id"], row["day"], row["entry_touchpoint_id"])
        if row["kind"] == "c":  # what the rollup counted that lies after the evaluation time
            cell = by_key[key]
            taken_back += row["n"]
            if row["later"]:
                cell.entered -= row["n"]
            if row["bucket"] >= 0:
                cell.converted -= row["n"]
                cell.histogram[row["bucket"]] -= row["n"]
        elif row["kind"] == "d":
            by_key[key].dropped = row["n"]
    return Cells(list(by_key.values()), taken_back)


def group(
    items: Iterable[Cell], key: Callable[[Cell], Hashable]
) -> dict[Hashable, dict[uuid.UUID, Totals]]:
    """Cells summed per group key and stage."""
    groups: dict[Hashable, dict[uuid.UUID, Totals]] = defaultdict(lambda: defaultdict(Totals))
    for cell in items:
        groups[key(cell)][cell.stage_id].add(cell)
    return groups


def ranks(count: int) -> list[int]:
    ranks: set[int] = set()
    for q in PERCENTILES:
        position = q * (count - 1)
        ranks.update((math.floor(position), math.ceil(position)))
    return sorted(ranks)


def _locate(histogram: list[int], rank: int) -> tuple[int, int]:
    """The bucket holding the rank-th smallest duration (from 0), and its offset there."""
    before = 0
    for bucket, count in enumerate(histogram):
        if rank < before + count:
            return bucket, rank - before
        before += count
    raise ValueError(f"rank {rank} beyond a histogram of {before}")


def _interpolate(values: dict[int, float], count: int) -> list[float]:
    """percentile_cont over float8, operation for operation as PostgreSQL computes it."""
    result = []
    for q in PERCENTILES:
        position = q * (count - 1)
        low, high = math.floor(position), math.ceil(position)
        if high > low:
            result.append(values[low] + (position - low) * (values[high] - values[low]))
        else:
            result.append(values[low])
    return result


async def percentiles(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    window: timedelta,
    as_of: datetime,
    wanted: list[tuple[Scope, uuid.UUID, Totals]],
) -> list[list[float] | None]:
    """The median and 90th percentile of the conversion times of each (scope, stage, totals),
    None where nobody converted, fetching only the ranks they interpolate between (the
    totals read in the same snapshot: domain.metrics.snapshot)."""
    scopes: dict[frozenset[uuid.UUID], int] = {}
    # one lookup per stage, bucket and scope, reading the run of offsets its ranks fall on
    lookups: dict[tuple[uuid.UUID, int, datetime, datetime, int | None], list[int]] = {}
    order: dict[tuple[uuid.UUID, int, datetime, datetime, int | None], int] = {}
    where: list[dict[int, tuple[int, int]]] = []  # per wanted: rank → (lookup, offset)
    for scope, stage_id, totals in wanted:
        indexes: dict[int, tuple[int, int]] = {}
        if totals.converted:
            touchpoints = None
            if scope.touchpoints is not None:
                touchpoints = scopes.setdefault(scope.touchpoints, len(scopes))
            for rank in ranks(totals.converted):
                bucket, offset = _locate(totals.histogram, rank)
                key = (stage_id, bucket, scope.low, scope.high, touchpoints)
                if key not in lookups:
                    lookups[key] = []
                    order[key] = len(order)
                lookups[key].append(offset)
                indexes[rank] = (order[key], offset)
        where.append(indexes)
    found: list[list[float]] = []
    skips = [min(offsets) for offsets in lookups.values()]
    if lookups:
        groups = [(g, tp) for tps, g in scopes.items() for tp in tps]
        columns: list[list[Any]] = [list(column) for column in zip(*lookups, strict=True)]
        takes = [max(offsets) - min(offsets) + 1 for offsets in lookups.values()]
        rows = await connection.fetch(
            f"""
            WITH allowed AS (SELECT * FROM unnest($5::int[], $6::uuid[]) AS a(scope, touchpoint))
            SELECT q.i, x.seconds
            FROM unnest($7::uuid[], $8::int[], $9::timestamptz[], $10::timestamptz[],
                        $11::int[], $12::int[], $13::int[])
                 WITH ORDINALITY AS q(stage_id, bucket, low, high, scope, skip, take, i)
            CROSS JOIN LATERAL (
                SELECT array_agg(seconds ORDER BY seconds) AS seconds FROM (
                    SELECT {duration_seconds("p")} AS seconds
                    FROM stage_progress p
                    WHERE p.workspace_id = $1 AND p.journey_id = $2 AND p.stage_id = q.stage_id
                      AND p.duration_bucket = q.bucket AND p.converted_at IS NOT NULL
                      AND {entered_in("q.low", "q.high", "$3", "p")}
                      AND {converted_by("$4", "$3", "p")}
                      AND (q.scope IS NULL OR p.entry_touchpoint_id IN (
                          SELECT a.touchpoint FROM allowed a WHERE a.scope = q.scope))
                    ORDER BY 1 OFFSET q.skip LIMIT q.take
                ) run
            ) x
            ORDER BY q.i
            """,
            workspace_id,
            journey_id,
            as_of,
            window.total_seconds(),
            [g for g, _ in groups],
            [tp for _, tp in groups],
            *columns,
            skips,
            takes,
        )
        found = [row["seconds"] or [] for row in rows]
    result: list[list[float] | None] = []
    for (_, _, totals), indexes in zip(wanted, where, strict=True):
        if not indexes:
            result.append(None)
            continue
        values = {
            rank: found[lookup][offset - skips[lookup]]
            for rank, (lookup, offset) in indexes.items()
        }
        result.append(_interpolate(values, totals.converted))
    return result


async def reach(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    timezone: str,
    start: date,
    end: date,
    as_of: datetime,
) -> dict[uuid.UUID, int]:
    """Customers who first reached each touchpoint of the journey in [start, end) as of
    `as_of`: the rollup rows up to the day holding it, less the first reaches they counted
    after it."""
    today = as_of.astimezone(ZoneInfo(timezone)).date()
    customers: dict[uuid.UUID, int] = defaultdict(int)
    for row in await connection.fetch(
        """
        SELECT touchpoint_id, customers FROM touchpoint_day
        WHERE workspace_id = $1 AND journey_id = $2 AND day >= $3 AND day < $4 AND day <= $5
        UNION ALL
        SELECT t.id, -count(*)
        FROM touchpoint t
        JOIN touchpoint_reach r ON r.workspace_id = t.workspace_id AND r.touchpoint_id = t.id
         AND r.first_reached_at >= $6 AND r.first_reached_at < $7 AND r.first_reached_at > $8
        WHERE t.workspace_id = $1 AND t.journey_id = $2
        GROUP BY t.id
        """,
        workspace_id,
        journey_id,
        start,
        end,
        today,
        start_of_day(start, timezone),
        min(start_of_day(today + timedelta(days=1), timezone), start_of_day(end, timezone)),
        as_of,
    ):
        customers[row["touchpoint_id"]] += row["customers"]
    return customers


@dataclass(frozen=True, slots=True)
class Reading:
    """One evaluation read from the daily rollups: every stage, day and entry touchpoint of the
    period as of the evaluation time, grouped as asked; statements of one snapshot."""

    evaluation: Evaluation
    connection: asyncpg.Connection
    cells: list[Cell]
    touchpoint_rows: list[asyncpg.Record]  # the journey's touchpoints: id, stage_id, channel
    channels: dict[uuid.UUID, str]

    @classmethod
    async def read(cls, connection: asyncpg.Connection, evaluation: Evaluation) -> "Reading":
        journey = evaluation.journey
        await connection.execute("SELECT set_config('jit', 'off', true)")
        touchpoints = await connection.fetch(
            "SELECT id, stage_id, channel FROM touchpoint WHERE workspace_id = $1 "
            "AND journey_id = $2",
            journey.workspace_id,
            journey.id,
        )
        read = await cells(
            connection,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            timezone=journey.timezone,
            window=evaluation.window,
            start=evaluation.start,
            end=evaluation.end,
            as_of=evaluation.as_of,
        )
        channels = {row["id"]: row["channel"] for row in touchpoints}
        return cls(evaluation, connection, read.cells, touchpoints, channels)

    def channel(self, cell: Cell) -> str | None:
        return self.channels.get(cell.touchpoint_id)

    def keep(self, cell: Cell) -> bool:
        wanted = self.evaluation.filters.channel
        return wanted is None or self.channel(cell) == wanted.value

    def total(self, cell: Cell) -> bool | None:
        """The one group (None) of every cell the filters keep (the others: False)."""
        return self.keep(cell) and None

    def series(self, granularity: Granularity) -> Callable[[Cell], str | bool]:
        """Group by day or week (ISO date of its start), cells the filters keep."""
        return lambda cell: self.keep(cell) and bucket_of(cell.day, granularity).isoformat()

    def series_scope(self, granularity: Granularity) -> Callable[[Any], Scope]:
        return lambda key: self.days(date.fromisoformat(key), granularity)

    def touchpoints(self, channel: str | None) -> frozenset[uuid.UUID]:
        return frozenset(c.touchpoint_id for c in self.cells if self.channel(c) == channel)

    def _filtered(self) -> frozenset[uuid.UUID] | None:
        wanted = self.evaluation.filters.channel
        return None if wanted is None else self.touchpoints(wanted.value)

    def scope(self, _key: object) -> Scope:
        return Scope(self.evaluation.low, self.evaluation.high, self._filtered())

    def channel_scope(self, key: object) -> Scope:
        assert key is None or isinstance(key, str)
        return Scope(self.evaluation.low, self.evaluation.high, self.touchpoints(key))

    def days(self, first: date, granularity: Granularity) -> Scope:
        after = first + timedelta(days=7 if granularity is Granularity.WEEK else 1)
        evaluation = self.evaluation
        low, high = period(
            max(first, evaluation.start), min(after, evaluation.end), evaluation.journey.timezone
        )
        return Scope(low, high, self._filtered())

    async def figures(
        self,
        key: Callable[[Cell], Any],
        scope: Callable[[Any], Scope] | None = None,
    ) -> Grouped:
        """Figures per group key and stage; a key of False leaves a cell out; groups nobody
        entered are left out."""
        groups = {
            k: stages
            for k, stages in group(self.cells, key).items()
            if k is not False and any(t.entered for t in stages.values())
        }
        evaluation = self.evaluation
        last = evaluation.stages[-1].id if evaluation.stages else None
        wanted = [
            ((scope or self.scope)(k), stage_id, totals)
            for k, stages in groups.items()
            for stage_id, totals in stages.items()
            if stage_id != last
        ]
        journey = evaluation.journey
        values = await percentiles(
            self.connection,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            window=evaluation.window,
            as_of=evaluation.as_of,
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
        evaluation = self.evaluation
        journey = evaluation.journey
        customers = await reach(
            self.connection,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            timezone=journey.timezone,
            start=evaluation.start,
            end=evaluation.end,
            as_of=evaluation.as_of,
        )
        wanted = evaluation.filters.channel
        return touchpoint_reach(
            evaluation.stages,
            [
                (row["id"], row["stage_id"], customers.get(row["id"], 0))
                for row in self.touchpoint_rows
                if wanted is None or row["channel"] == wanted.value
            ],
        )
