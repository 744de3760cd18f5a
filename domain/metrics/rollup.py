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

from domain.metrics.periods import start_of_day

PERCENTILES = (0.5, 0.9)


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


class Changed(Exception):
    """The rollup changed between the statements of one reading (a concurrent commit)."""


@dataclass(frozen=True, slots=True)
class Cells:
    cells: list[Cell]
    version: frozenset[str]  # the row versions (ctid) of the rollup rows read
    taken_back: int  # progress rows the rollup counted that lie after the evaluation time


# The rollup rows of the period (kind r), what those up to the day holding the evaluation time T
# counted after T (kind c: entries after it; conversions after it of entries before it), and
# the dropped entries of the day holding the cutoff T - W (kind d): one statement, one snapshot.
CELLS = """
SELECT 'r' AS kind, day, stage_id, entry_touchpoint_id, entered AS n, converted, histogram,
       latest, ctid::text AS version, NULL::bool AS later, NULL::int AS bucket
FROM stage_day WHERE workspace_id = $1 AND journey_id = $2 AND day >= $3 AND day < $4
UNION ALL
SELECT 'c', (entered_at AT TIME ZONE $9)::date, stage_id, entry_touchpoint_id, count(*), NULL,
       NULL, NULL, NULL, entered_at > $7,
       CASE WHEN converted_at <= entered_at + make_interval(secs => $8)
            THEN duration_bucket ELSE -1 END
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
      AND entered_at >= $5 AND entered_at < $6 AND entered_at <= $7
      AND converted_at <= entered_at + make_interval(secs => $8)
) p
GROUP BY 2, 3, 4, 10, 11
UNION ALL
SELECT 'd', $10, stage_id, entry_touchpoint_id, count(*), NULL, NULL, NULL, NULL, NULL, NULL
FROM stage_progress
WHERE workspace_id = $1 AND journey_id = $2 AND entered_at >= $11
  AND entered_at <= $7::timestamptz - make_interval(secs => $8)
  AND NOT (converted_at <= entered_at + make_interval(secs => $8)) IS TRUE
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
    version, taken_back = [], 0
    for row in rows:
        key = (row["stage_id"], row["day"], row["entry_touchpoint_id"])
        if row["kind"] == "r":
            version.append(row["version"])
            if row["day"] > today:  # nobody had entered yet
                continue
            cell = by_key[key] = Cell(*key, row["n"], row["converted"], 0, row["histogram"])
            if cell.day < edge:  # every entry of the day lies at or before the cutoff
                cell.dropped = cell.entered - cell.converted
    for row in rows:
        key = (row["stage_id"], row["day"], row["entry_touchpoint_id"])
        if row["kind"] != "r" and key not in by_key:  # a time zone changed since the journey
            raise Changed()  # was read: its rollup rows are cut by other days now
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
    return Cells(list(by_key.values()), frozenset(version), taken_back)


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
    start: date,
    end: date,
    version: frozenset[str],
    wanted: list[tuple[Scope, uuid.UUID, Totals]],
) -> list[list[float] | None]:
    """The median and 90th percentile of the conversion times of each (scope, stage, totals),
    None where nobody converted, fetching only the ranks they interpolate between. Raises
    Changed when the rollup rows of the period are no longer the `version` the totals came
    from (then the histograms may not match the progress rows this statement sees)."""
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
            """
            WITH allowed AS (SELECT * FROM unnest($5::int[], $6::uuid[]) AS a(scope, touchpoint))
            SELECT q.i, x.seconds, (
                SELECT array_agg(ctid::text) FROM stage_day
                WHERE workspace_id = $1 AND journey_id = $2 AND day >= $14 AND day < $15
            ) AS version
            FROM unnest($7::uuid[], $8::int[], $9::timestamptz[], $10::timestamptz[],
                        $11::int[], $12::int[], $13::int[])
                 WITH ORDINALITY AS q(stage_id, bucket, low, high, scope, skip, take, i)
            CROSS JOIN LATERAL (
                SELECT array_agg(seconds ORDER BY seconds) AS seconds FROM (
                    SELECT (extract(epoch FROM p.converted_at)
                            - extract(epoch FROM p.entered_at))::float8 AS seconds
                    FROM stage_progress p
                    WHERE p.workspace_id = $1 AND p.journey_id = $2 AND p.stage_id = q.stage_id
                      AND p.duration_bucket = q.bucket AND p.converted_at IS NOT NULL
                      AND p.entered_at >= q.low AND p.entered_at < q.high
                      AND p.entered_at <= $3 AND p.converted_at <= $3
                      AND p.converted_at <= p.entered_at + make_interval(secs => $4)
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
            start,
            end,
        )
        found = [row["seconds"] or [] for row in rows]
        if [len(run) for run in found] != takes or frozenset(rows[0]["version"] or ()) != version:
            raise Changed()
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
    after it (one statement, one snapshot)."""
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
