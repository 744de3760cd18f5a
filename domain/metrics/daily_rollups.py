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

Personas (the persona as of T): `stage_persona_day` and `touchpoint_persona_day` hold the same
sums per customer's *current* persona (migration 0017), and customers with none are the total
less every persona. A customer whose persona was set after T may have had another one at T:
those few (`customer.first_tracked_at` <= T < `persona_set_at`; none when T is now) are moved,
their figures as of T taken from the current persona's cells and given to the one they had
then, each statement finding them from one index (`moved_customers`), but for those whose
persona changed twice since T, judged once from their history (`prepare_to_move`).
"""

import math
import struct
import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain.metrics.definitions import (
    ENTRY_DAY,
    PERCENTILES,
    converted_by,
    converted_within,
    dropped_by,
    duration_bucket_of,
    duration_seconds,
    entered_in,
    entry_days,
    persona_as_of,
)
from domain.metrics.evaluation import Evaluation
from domain.metrics.figures import Grouped, Reach, touchpoint_reach
from domain.metrics.periods import Granularity, bucket_of, period, start_of_day


class Personas(Enum):
    """Whose cells a reading counts: everybody's (ANY), one persona's (ONE), or each persona's
    apart, no persona included (EACH)."""

    ANY = "any"
    ONE = "one"
    EACH = "each"


@dataclass(slots=True)
class Cell:
    """Figures of one stage, local day, entry touchpoint (and persona as of the evaluation time,
    when the reading is by persona), as of the evaluation time."""

    stage_id: uuid.UUID
    day: date
    touchpoint_id: uuid.UUID
    persona: uuid.UUID | None = None
    entered: int = 0
    converted: int = 0
    dropped: int = 0
    histogram: int = 0  # packed (`packed`): bucket b counts duration bucket b


@dataclass(slots=True)
class Totals:
    """Cells summed over a group (a period, a series bucket, a channel)."""

    entered: int = 0
    converted: int = 0
    dropped: int = 0
    histogram: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose conversions a group's percentiles range over: entries in [low, high) through
    one of `touchpoints` (None: any), of customers with `persona` as of T when `by_persona`."""

    low: datetime
    high: datetime
    touchpoints: frozenset[uuid.UUID] | None
    by_persona: bool = False
    persona: uuid.UUID | None = None


def _candidates(as_of: str) -> str:
    """Customers of the workspace $1 who may have had another persona at T: progress by T and
    a persona set after it (first tracked <= T < persona set), which index
    `ix_customer_persona_moved` finds among those whose persona was set after their first
    event (not among everyone who arrived after T); it holds the persona before the latest
    too, so that most are judged from the index alone."""
    return f"""c.workspace_id = $1 AND c.persona_set_at > {as_of}
          AND c.persona_set_at > c.first_tracked_at AND c.first_tracked_at <= {as_of}"""


def moved_customers(as_of: str, persona: str | None = None) -> str:
    """SQL of the customers whose persona as of T (`as_of`) is not their current one and
    whose customer row says which one they had then (`id`, `persona_at`); with `persona`,
    only those who had it then or have it now. A statement joins them to its own period's rows.

    Those whose row cannot say (their persona changed twice after T) are judged from their
    history once per reading, by `prepare_to_move`, and joined from its arrays
    (`Moved.parts`): with the history's lookup in it, such a statement is neither run in
    parallel nor planned around the few customers (its cost, counted for every customer,
    made the planner hash the period's hundreds of thousands of rows instead)."""
    keep = f"AND {persona} IN (persona_id, persona_at)" if persona else ""
    return f"""
    SELECT id, persona_at FROM (
        SELECT c.id, c.persona_id, ({persona_as_of(as_of, history=False)}) AS persona_at
        FROM customer c
        WHERE {_candidates(as_of)}
          AND (c.earlier_persona_set_at IS NULL OR c.earlier_persona_set_at <= {as_of})
    ) judged
    WHERE persona_at IS DISTINCT FROM persona_id {keep}"""


# The customers of $1 whose persona as of T ($2) was another and whom only their history can
# judge (their earlier persona, too, was set after T).
MOVED_BY_HISTORY = f"""
SELECT id, persona_at FROM (
    SELECT c.id, c.persona_id, ({persona_as_of("$2")}) AS persona_at
    FROM customer c
    WHERE {_candidates("$2")} AND c.earlier_persona_set_at > $2
) judged
WHERE persona_at IS DISTINCT FROM persona_id
"""


@dataclass(frozen=True, slots=True)
class Moved:
    """The customers whose persona as of T was another than now: each statement that moves
    them finds most of them itself (`moved_customers`); these few, judged from their history,
    are sent to it as arrays."""

    ids: list[uuid.UUID]
    personas: list[uuid.UUID | None]  # each one's persona as of T

    def parts(self, as_of: str, persona: str | None, first: int) -> list[str]:
        """SQL of every moved customer (`id`, `persona_at`) in parts that a statement joins
        one after the other (a union of them would hide from the planner that each customer
        is one row); `arguments` sent as its parameters number `first` and the next."""
        by_history = (
            f"SELECT * FROM unnest(${first}::uuid[], ${first + 1}::uuid[]) AS h(id, persona_at)"
        )
        return [moved_customers(as_of, persona), by_history]

    @property
    def arguments(self) -> list[Any]:
        return [self.ids, self.personas]


async def prepare_to_move(
    connection: asyncpg.Connection, *, workspace_id: uuid.UUID, as_of: datetime
) -> Moved | None:
    """Who had another persona as of T than now (nobody when T is now: None), and if anybody
    did, the transaction readied to move them: its statements planned for their own values
    from here on (a generic plan, which PostgreSQL may choose after five runs of a statement,
    guesses a few rows where a T in the past finds hundreds of thousands, and loops over them
    one by one: five times as long), with room to hash and sort those rows."""
    row = await connection.fetchrow(
        f"""
        SELECT EXISTS ({moved_customers("$2")}) AS found, array_agg(id) AS ids,
               array_agg(persona_at) AS personas
        FROM ({MOVED_BY_HISTORY}) h
        """,
        workspace_id,
        as_of,
    )
    if not row["found"] and row["ids"] is None:
        return None
    await connection.execute(
        "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
        "set_config('work_mem', '32MB', true)"
    )
    return Moved(row["ids"] or [], row["personas"] or [])


@dataclass(frozen=True, slots=True)
class Cells:
    cells: list[Cell]
    taken_back: int  # progress rows the rollup counted that lie after the evaluation time


# The rollup rows of the period (kind r), what those up to the day holding the evaluation time T
# counted after T (kind c: entries after it; conversions after it of entries before it), the
# dropped entries of the day holding the cutoff T - W (kind d), and the figures as of T of the
# customers whose persona then was another (kind m: their conversions' durations as bucket and
# count arrays, summed into a histogram by the reader, not sent a row per bucket). $7 is T, $8
# W in seconds. Each part keeps to {persona} (one persona's rows) and says whose rows it counts
# with {key}.
ROLLUP = """
SELECT 'r' AS kind, day, stage_id, entry_touchpoint_id, {key} AS persona, {total} AS total,
       entered AS n, converted, histogram, NULL::bool AS later, NULL::int AS bucket,
       NULL::uuid AS persona_at, NULL::bigint AS dropped, NULL::int[] AS buckets,
       NULL::int[] AS counts
FROM {table} WHERE workspace_id = $1 AND journey_id = $2 AND day >= $3 AND day < $4 {persona}
"""

CELLS = f"""
SELECT 'c', (entered_at AT TIME ZONE $9)::date, stage_id, entry_touchpoint_id, {{key}}, false,
       count(*), NULL, NULL, entered_at > $7,
       CASE WHEN {converted_within("$8")} THEN duration_bucket ELSE -1 END, NULL, NULL, NULL,
       NULL
FROM (
    SELECT entered_at, converted_at, stage_id, entry_touchpoint_id, duration_bucket, persona_id
    FROM stage_progress
    WHERE workspace_id = $1 AND journey_id = $2 AND entered_at >= $5 AND entered_at < $12
      AND entered_at > $7 {{persona}}
    UNION ALL
    SELECT entered_at, converted_at, stage_id, entry_touchpoint_id, duration_bucket, persona_id
    FROM stage_progress
    WHERE workspace_id = $1 AND journey_id = $2 AND converted_at IS NOT NULL
      AND {ENTRY_DAY} = ANY({entry_days("$5", "least($6::timestamptz, $7)")})
      AND converted_at > $7 AND converted_at <= $6::timestamptz + make_interval(secs => $8)
      AND {entered_in("$5", "$6", "$7")} AND {converted_within("$8")} {{persona}}
) p
GROUP BY 2, 3, 4, 5, 10, 11
UNION ALL
SELECT 'd', $10, stage_id, entry_touchpoint_id, {{key}}, false, count(*), NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL
FROM stage_progress
WHERE workspace_id = $1 AND journey_id = $2 AND entered_at >= $11 AND {dropped_by("$8", "$7")}
  {{persona}}
GROUP BY 3, 4, 5
"""

MOVED = f"""
SELECT 'm', day, stage_id, entry_touchpoint_id, persona_id, false, sum(n)::bigint,
       sum(n) FILTER (WHERE bucket >= 0), NULL, NULL, NULL, persona_at,
       coalesce(sum(n) FILTER (WHERE dropped), 0)::bigint,
       array_agg(bucket) FILTER (WHERE bucket >= 0), array_agg(n) FILTER (WHERE bucket >= 0)
FROM (
    SELECT (p.entered_at AT TIME ZONE $9)::date AS day, p.stage_id, p.entry_touchpoint_id,
           p.persona_id, m.persona_at,
           CASE WHEN {converted_by("$8", "$7", "p")} THEN {duration_bucket_of("p")} ELSE -1 END
               AS bucket,
           {dropped_by("$8", "$7", "p")} AS dropped, count(*)::int AS n
    FROM ({{moved}}) AS m
    JOIN stage_progress p ON p.workspace_id = $1 AND p.customer_id = m.id AND p.journey_id = $2
    WHERE {entered_in("$5", "$6", "$7", "p")}
    GROUP BY 1, 2, 3, 4, 5, 6, 7
) by_bucket
GROUP BY day, stage_id, entry_touchpoint_id, persona_id, persona_at
"""


def _cells_sql(personas: Personas, moved: list[str]) -> str:
    """The statement reading the cells for ANY, ONE ($13) or EACH persona; with `moved` (the
    parts of Moved), the figures of the customers whose persona at T was another move."""
    if personas is Personas.ANY:
        rollups = ROLLUP.format(table="stage_day", key="NULL::uuid", total="true", persona="")
        return rollups + "UNION ALL" + CELLS.format(key="NULL::uuid", persona="")
    one = personas is Personas.ONE
    persona = "AND persona_id = $13" if one else ""
    rollups = ROLLUP.format(
        table="stage_persona_day", key="persona_id", total="false", persona=persona
    )
    if personas is Personas.EACH:  # the total too: customers with no persona are the rest
        rollups += "UNION ALL" + ROLLUP.format(
            table="stage_day", key="NULL::uuid", total="true", persona=""
        )
    sql = rollups + "UNION ALL" + CELLS.format(key="persona_id", persona=persona)
    return sql + "".join("UNION ALL" + MOVED.format(moved=part) for part in moved)


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
    personas: Personas = Personas.ANY,
    persona: uuid.UUID | None = None,
    moved: Moved | None = None,
) -> Cells:
    """Every (stage, day, entry touchpoint) of the local days [start, end), as of `as_of`;
    by persona as of then, for one `persona` (ONE) or each (EACH), `moved` saying who had
    another then (`prepare_to_move`)."""
    cutoff = as_of - window  # entries at or before it whose window closed unconverted dropped
    edge = cutoff.astimezone(ZoneInfo(timezone)).date()
    today = as_of.astimezone(ZoneInfo(timezone)).date()  # later days: nobody entered yet
    arguments: list[Any] = [
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
    ]
    if personas is Personas.ONE:
        arguments.append(persona)
    parts: list[str] = []
    if moved is not None and personas is not Personas.ANY:
        one = personas is Personas.ONE
        parts = moved.parts("$7", "$13" if one else None, len(arguments) + 1)
        arguments += moved.arguments
    rows = await connection.fetch(_cells_sql(personas, parts), *arguments)
    by_key: dict[tuple[uuid.UUID, date, uuid.UUID, uuid.UUID | None], Cell] = {}
    rest: list[Cell] = []  # EACH: the totals, less every persona's cells below
    # applied once every rollup cell is read: kinds c and d, then m (which adjusts d's counts)
    taken: list[asyncpg.Record] = []
    moving: list[asyncpg.Record] = []
    each = personas is Personas.EACH
    for row in rows:
        # the first columns, in the order every part of the statement selects them (ROLLUP)
        kind, day, stage_id, touchpoint_id, persona_key, total, n, converted, histogram = row[:9]
        if kind != "r":
            (moving if kind == "m" else taken).append(row)
            continue
        if day > today:  # after T's day nobody had entered yet
            continue
        cell = Cell(stage_id, day, touchpoint_id, persona_key, n, converted, 0, packed(histogram))
        if total and each:
            rest.append(cell)
        else:
            by_key[(stage_id, day, touchpoint_id, persona_key)] = cell
    if rest:
        _leave_the_rest(rest, by_key)
    for cell in by_key.values():
        if cell.day < edge:  # every entry of the day lies at or before the cutoff
            cell.dropped = cell.entered - cell.converted
    taken_back = 0
    for row in taken:
        key = (row["stage_id"], row["day"], row["entry_touchpoint_id"], row["persona"])
        if row["kind"] == "c":  # what the rollup counted that lies after the evaluation time
            cell = by_key[key]
            taken_back += row["n"]
            if row["later"]:
                cell.entered -= row["n"]
            if row["bucket"] >= 0:
                cell.converted -= row["n"]
                cell.histogram -= row["n"] << BUCKET_BITS * row["bucket"]
        elif row["kind"] == "d":
            by_key[key].dropped = row["n"]
    for row in moving:  # from the persona they have now to the one they had at T
        histogram = sum(
            n << BUCKET_BITS * bucket
            for bucket, n in zip(row["buckets"] or (), row["counts"] or (), strict=True)
        )
        for persona_key, sign in ((row["persona"], -1), (row["persona_at"], 1)):
            if personas is Personas.ONE and persona_key != persona:
                continue
            key = (row["stage_id"], row["day"], row["entry_touchpoint_id"], persona_key)
            cell = by_key.get(key) or by_key.setdefault(key, Cell(*key))
            cell.entered += sign * row["n"]
            cell.converted += sign * (row["converted"] or 0)
            cell.dropped += sign * row["dropped"]
            cell.histogram += sign * histogram
    return Cells(list(by_key.values()), taken_back)


def _leave_the_rest(totals: list[Cell], by_key: dict[tuple, Cell]) -> None:
    """Customers with no persona: each (stage, day, entry touchpoint) total less every
    persona's cell, kept in `by_key` under the persona None."""
    personas: dict[tuple, list[int]] = {}  # (stage, day, touchpoint) → summed figures
    for cell in by_key.values():
        key = (cell.stage_id, cell.day, cell.touchpoint_id)
        summed = personas.get(key)
        if summed is None:
            personas[key] = [cell.entered, cell.converted, cell.histogram]
        else:
            summed[0] += cell.entered
            summed[1] += cell.converted
            summed[2] += cell.histogram
    for total in totals:
        key = (total.stage_id, total.day, total.touchpoint_id)
        summed = personas.get(key)
        if summed is not None:
            total.entered -= summed[0]
            total.converted -= summed[1]
            total.histogram -= summed[2]
        by_key[(*key, None)] = total


def group(
    items: Iterable[Cell], key: Callable[[Cell], Hashable]
) -> dict[Hashable, dict[uuid.UUID, Totals]]:
    """Cells summed per group key and stage."""
    grouped: dict[Hashable, dict[uuid.UUID, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for cell in items:
        grouped[key(cell)][cell.stage_id].append(cell)
    return {
        k: {stage_id: _summed(cells) for stage_id, cells in stages.items()}
        for k, stages in grouped.items()
    }


def _summed(cells: list[Cell]) -> Totals:
    return Totals(
        sum(c.entered for c in cells),
        sum(c.converted for c in cells),
        sum(c.dropped for c in cells),
        unpacked(sum(c.histogram for c in cells)),
    )


# A histogram packed into one integer, BUCKET_BITS a bucket (bucket b at bit BUCKET_BITS * b),
# as the rollups store it (little-endian int32 bytes, migration 0020): the histograms of a
# group's hundreds of cells, and the corrections to them, then sum and take away as integers
# do, in one pass in C, not bucket by bucket. Packing is linear, so any sum whose buckets are
# all counts below 2**32 (a group's conversions in one bucket) unpacks to exactly the sum of the
# histograms, whatever the signs on the way.
BUCKET_BITS = 32


def packed(stored: bytes) -> int:
    """A stored dense histogram as one integer."""
    return int.from_bytes(stored, "little")


def unpacked(histogram: int) -> list[int]:
    """The dense histogram a sum of packed ones holds (no trailing empty buckets)."""
    size = -(-histogram.bit_length() // BUCKET_BITS)
    return list(struct.unpack(f"<{size}I", histogram.to_bytes(size * 4, "little")))


def ranks(count: int) -> list[int]:
    ranks: set[int] = set()
    for q in PERCENTILES:
        position = q * (count - 1)
        ranks.update((math.floor(position), math.ceil(position)))
    return sorted(ranks)


def _locate(histogram: list[int], wanted: list[int]) -> list[tuple[int, int]]:
    """For each wanted rank (from 0), the bucket holding the rank-th smallest duration and its
    offset there: a binary search of the running totals (a breakdown locates dozens of ranks in
    histograms of hundreds of buckets)."""
    running = list(accumulate(histogram))
    located = []
    for rank in wanted:
        bucket = bisect_right(running, rank)
        if bucket == len(running):
            raise ValueError(f"rank {rank} beyond a histogram of {running[-1] if running else 0}")
        located.append((bucket, rank - (running[bucket - 1] if bucket else 0)))
    return located


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


# "No persona" (and "any persona", where a lookup is not by persona) in the percentile lookups,
# which match personas by equality.
NO_PERSONA = uuid.UUID(int=0)


# The durations at the wanted places of each lookup (stage, duration bucket, entries in [low,
# high), entry touchpoints of a scope or any, personas apart or not): the bucket's conversions
# sorted per persona as of T (the stored one, or the one a moved customer had then), and the
# elements at the wanted places taken (an aggregate's sort costs less than numbering every row
# with a window). With {keep}, only the personas the lookup has places of are sorted (a
# breakdown's bucket holds every persona's conversions; most of them are not wanted there).
# $1 workspace, $2 journey, $3 T, $4 W in seconds, $16 "no persona".
RANKS = f"""
WITH allowed AS (SELECT * FROM unnest($5::int[], $6::uuid[]) AS a(scope, touchpoint)),
wanted AS (SELECT * FROM unnest($13::int[], $14::uuid[], $15::int[]) AS w(i, persona, place)),
wanted_personas AS (SELECT i, array_agg(DISTINCT persona) AS personas FROM wanted GROUP BY i)
SELECT q.i, w.persona, w.place, r.sorted[w.place + 1] AS seconds
FROM unnest($7::uuid[], $8::int[], $9::timestamptz[], $10::timestamptz[], $11::int[],
            $12::bool[])
     WITH ORDINALITY AS q(stage_id, bucket, low, high, scope, by_persona, i)
JOIN wanted_personas wp ON wp.i = q.i
CROSS JOIN LATERAL (
    SELECT persona, array_agg(seconds ORDER BY seconds) AS sorted
    FROM (
        SELECT {duration_seconds("p")} AS seconds,
               CASE WHEN q.by_persona THEN coalesce({{persona}}, $16::uuid)
                    ELSE $16::uuid END AS persona
        FROM stage_progress p
        WHERE p.workspace_id = $1 AND p.journey_id = $2
          AND p.stage_id = q.stage_id AND p.duration_bucket = q.bucket
          AND p.converted_at IS NOT NULL
          AND {entered_in("q.low", "q.high", "$3", "p")}
          AND {converted_by("$4", "$3", "p")}
          AND (q.scope IS NULL OR p.entry_touchpoint_id IN (
              SELECT a.touchpoint FROM allowed a WHERE a.scope = q.scope))
    ) bucket
    {{keep}}
    GROUP BY persona
) r
JOIN wanted w ON w.i = q.i AND w.persona = r.persona
"""


def _ranks_sql(moved: bool) -> str:
    """RANKS; when somebody's persona at T was another, each conversion of the buckets looked
    up finds its customer's persona then by primary key (a few thousand rows, where a join
    would read every moved customer), and every persona is sorted: keeping to the wanted ones
    would look each customer's persona up twice."""
    if not moved:
        keep = "WHERE NOT q.by_persona OR persona = ANY(wp.personas)"
        return RANKS.format(persona="p.persona_id", keep=keep)
    return RANKS.format(
        persona=f"(SELECT {persona_as_of('$3')} FROM customer c "
        "WHERE c.workspace_id = p.workspace_id AND c.id = p.customer_id)",
        keep="",
    )


async def percentiles(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    window: timedelta,
    as_of: datetime,
    wanted: list[tuple[Scope, uuid.UUID, Totals]],
    moved: bool = False,
) -> list[list[float] | None]:
    """The median and 90th percentile of the conversion times of each (scope, stage, totals),
    None where nobody converted, fetching only the ranks they interpolate between (the
    totals read in the same snapshot: domain.metrics.snapshot). A scope by persona counts each
    customer under their persona as of T: the stored one, or when `moved` says some had
    another then, each one's as of T; the lookups of every persona in one duration bucket
    read it once."""
    scopes: dict[frozenset[uuid.UUID], int] = {}
    # one lookup per stage, bucket and scope (personas apart within it)
    Lookup = tuple[uuid.UUID, int, datetime, datetime, int | None, bool]
    lookups: dict[Lookup, int] = {}
    places: set[tuple[int, uuid.UUID, int]] = set()  # (lookup, persona, offset in bucket)
    where: list[dict[int, tuple[int, uuid.UUID, int]]] = []  # per wanted: rank → place
    for scope, stage_id, totals in wanted:
        indexes: dict[int, tuple[int, uuid.UUID, int]] = {}
        if totals.converted:
            touchpoints = None
            if scope.touchpoints is not None:
                touchpoints = scopes.setdefault(scope.touchpoints, len(scopes))
            persona = (scope.persona or NO_PERSONA) if scope.by_persona else NO_PERSONA
            wanted_ranks = ranks(totals.converted)
            for rank, (bucket, offset) in zip(
                wanted_ranks, _locate(totals.histogram, wanted_ranks), strict=True
            ):
                key = (stage_id, bucket, scope.low, scope.high, touchpoints, scope.by_persona)
                lookup = lookups.setdefault(key, len(lookups) + 1)
                indexes[rank] = (lookup, persona, offset)
                places.add(indexes[rank])
        where.append(indexes)
    found: dict[tuple[int, uuid.UUID, int], float] = {}
    if lookups:
        groups = [(g, tp) for tps, g in scopes.items() for tp in tps]
        columns: list[list[Any]] = [list(column) for column in zip(*lookups, strict=True)]
        rows = await connection.fetch(
            _ranks_sql(moved),
            workspace_id,
            journey_id,
            as_of,
            window.total_seconds(),
            [g for g, _ in groups],
            [tp for _, tp in groups],
            *columns,
            *(list(column) for column in zip(*places, strict=True)),
            NO_PERSONA,
        )
        found = {(row["i"], row["persona"], row["place"]): row["seconds"] for row in rows}
    result: list[list[float] | None] = []
    for (_, _, totals), indexes in zip(wanted, where, strict=True):
        if not indexes:
            result.append(None)
            continue
        values = {rank: found[place] for rank, place in indexes.items()}
        result.append(_interpolate(values, totals.converted))
    return result


REACH = """
SELECT touchpoint_id, customers FROM {table}
WHERE workspace_id = $1 AND journey_id = $2 AND day >= $3 AND day < $4 AND day <= $5 {persona}
UNION ALL
SELECT t.id, -count(*)
FROM touchpoint t
JOIN touchpoint_reach r ON r.workspace_id = t.workspace_id AND r.touchpoint_id = t.id
 AND r.first_reached_at >= $6 AND r.first_reached_at < $7 AND r.first_reached_at > $8
 {reached_persona}
WHERE t.workspace_id = $1 AND t.journey_id = $2
GROUP BY t.id
"""

# The first reaches in the period by T of the customers whose persona then was another: to the
# persona $9 if they had it then, away from it if they have it now.
REACH_MOVED = """
UNION ALL
SELECT r.touchpoint_id, sum((m.persona_at IS NOT DISTINCT FROM $9)::int
                            - (r.persona_id IS NOT DISTINCT FROM $9)::int)
FROM ({moved}) AS m
JOIN touchpoint_reach r ON r.workspace_id = $1 AND r.customer_id = m.id
JOIN touchpoint t ON t.workspace_id = $1 AND t.journey_id = $2 AND t.id = r.touchpoint_id
WHERE r.first_reached_at >= $6 AND r.first_reached_at < $7 AND r.first_reached_at <= $8
GROUP BY r.touchpoint_id
"""


async def reach(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    timezone: str,
    start: date,
    end: date,
    as_of: datetime,
    persona: uuid.UUID | None = None,
    moved: Moved | None = None,
) -> dict[uuid.UUID, int]:
    """Customers who first reached each touchpoint of the journey in [start, end) as of
    `as_of` (those with `persona` as of then, if given): the rollup rows up to the day holding
    it, less the first reaches they counted after it."""
    today = as_of.astimezone(ZoneInfo(timezone)).date()
    arguments: list[Any] = [
        workspace_id,
        journey_id,
        start,
        end,
        today,
        start_of_day(start, timezone),
        min(start_of_day(today + timedelta(days=1), timezone), start_of_day(end, timezone)),
        as_of,
    ]
    if persona is None:
        sql = REACH.format(table="touchpoint_day", persona="", reached_persona="")
    else:
        sql = REACH.format(
            table="touchpoint_persona_day",
            persona="AND persona_id = $9",
            reached_persona="AND r.persona_id = $9",
        )
        arguments.append(persona)
        if moved is not None:
            for part in moved.parts("$8", "$9", len(arguments) + 1):
                sql += REACH_MOVED.format(moved=part)
            arguments += moved.arguments
    customers: dict[uuid.UUID, int] = defaultdict(int)
    for row in await connection.fetch(sql, *arguments):
        customers[row["touchpoint_id"]] += row["customers"]
    return customers


@dataclass(frozen=True, slots=True)
class Reading:
    """One evaluation read from the daily rollups: every stage, day and entry touchpoint (and
    persona as of the evaluation time, when filtered or broken down by persona) of the period
    as of the evaluation time, grouped as asked; statements of one snapshot."""

    evaluation: Evaluation
    connection: asyncpg.Connection
    cells: list[Cell]
    touchpoint_rows: list[asyncpg.Record]  # the journey's touchpoints: id, stage_id, channel
    channels: dict[uuid.UUID, str]
    personas: Personas
    moved: Moved | None  # who had another persona as of the evaluation time, if anybody

    @classmethod
    async def read(
        cls, connection: asyncpg.Connection, evaluation: Evaluation, *, by_persona: bool = False
    ) -> "Reading":
        """The cells of the evaluation: each persona's apart with `by_persona`."""
        journey = evaluation.journey
        persona = evaluation.filters.persona_id
        personas = Personas.EACH if by_persona else Personas.ONE if persona else Personas.ANY
        # No JIT compiling: these statements' estimated costs can count history lookups that
        # never run (the rank lookups' as of a past T), and compiling a plan of that kind took
        # 353 ms on top of the 750 it ran for.
        await connection.execute("SELECT set_config('jit', 'off', true)")
        touchpoints = await connection.fetch(
            "SELECT id, stage_id, channel FROM touchpoint WHERE workspace_id = $1 "
            "AND journey_id = $2",
            journey.workspace_id,
            journey.id,
        )
        moved = None
        if personas is not Personas.ANY:
            moved = await prepare_to_move(
                connection, workspace_id=journey.workspace_id, as_of=evaluation.as_of
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
            personas=personas,
            persona=persona,
            moved=moved,
        )
        channels = {row["id"]: row["channel"] for row in touchpoints}
        return cls(evaluation, connection, read.cells, touchpoints, channels, personas, moved)

    def channel(self, cell: Cell) -> str | None:
        return self.channels.get(cell.touchpoint_id)

    def keep(self, cell: Cell) -> bool:
        wanted = self.evaluation.filters.channel
        return wanted is None or self.channel(cell) == wanted.value

    def total(self, cell: Cell) -> bool | None:
        """The one group (None) of every cell the filters keep (the others: False)."""
        return self.keep(cell) and None

    def persona(self, cell: Cell) -> uuid.UUID | None:
        """Group by persona as of the evaluation time (None: no persona)."""
        return cell.persona

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

    def _scope(self, low: datetime, high: datetime) -> Scope:
        """Entries in [low, high) that the filters keep."""
        one = self.personas is Personas.ONE
        persona = self.evaluation.filters.persona_id
        return Scope(low, high, self._filtered(), one, persona)

    def scope(self, _key: object) -> Scope:
        return self._scope(self.evaluation.low, self.evaluation.high)

    def channel_scope(self, key: object) -> Scope:
        assert key is None or isinstance(key, str)
        return Scope(self.evaluation.low, self.evaluation.high, self.touchpoints(key))

    def persona_scope(self, key: object) -> Scope:
        assert key is None or isinstance(key, uuid.UUID)
        return Scope(self.evaluation.low, self.evaluation.high, None, True, key)

    def days(self, first: date, granularity: Granularity) -> Scope:
        after = first + timedelta(days=7 if granularity is Granularity.WEEK else 1)
        evaluation = self.evaluation
        low, high = period(
            max(first, evaluation.start), min(after, evaluation.end), evaluation.journey.timezone
        )
        return self._scope(low, high)

    async def figures(
        self,
        key: Callable[[Cell], Any],
        scope: Callable[[Any], Scope] | None = None,
        *,
        with_percentiles: bool = True,
    ) -> Grouped:
        """Figures per group key and stage; a key of False leaves a cell out; groups nobody
        entered are left out. Without percentiles, none are looked up (they are None)."""
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
            if stage_id != last and with_percentiles
        ]
        journey = evaluation.journey
        values = await percentiles(
            self.connection,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            window=evaluation.window,
            as_of=evaluation.as_of,
            wanted=wanted,
            moved=self.moved is not None,
        )
        found = iter(values)
        return {
            k: {
                stage_id: {
                    "entered": totals.entered,
                    "converted": totals.converted,
                    "dropped": totals.dropped,
                    "percentiles": next(found) if stage_id != last and with_percentiles else None,
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
            persona=evaluation.filters.persona_id,
            moved=self.moved,
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
