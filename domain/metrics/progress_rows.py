"""The stored stage progress and touchpoint reach (domain.metrics.models), written as events are
folded in (domain.metrics.fold) and recomputed from raw events when touchpoints change which
events mark them (domain.metrics.remap), so that reading metrics never scans raw events.

Events later than everything known about a customer in a journey (the usual case) advance the
stored progress directly; a late or out-of-order event makes that customer's progress be
recomputed from their raw events. A touchpoint gaining or losing event names recomputes the
customers who sent those events: a backfill, nothing lost.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

from domain import pg
from domain.metrics.progress import Progress, Reach, advance, from_reaches

RECOMPUTE_CHUNK = 5000


class Tracked(NamedTuple):
    """Stored track events, as metrics need them: parallel columns (one element per event),
    as the fold gets them from pending batches; no object per event until one marks a
    touchpoint."""

    customer_ids: list[uuid.UUID]
    names: list[str]
    timestamps: list[datetime]
    message_ids: list[str]


class Mark(NamedTuple):
    """A touchpoint (of a stage of a journey) that an event name marks."""

    journey_id: uuid.UUID
    stage_id: uuid.UUID
    position: int
    touchpoint_id: uuid.UUID


async def touchpoint_marks(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    *,
    names: list[str] | None = None,
    journey_id: uuid.UUID | None = None,
) -> dict[str, list[Mark]]:
    rows = await connection.fetch(
        """
        SELECT t.id, t.journey_id, t.stage_id, s.position, t.event_names
        FROM touchpoint t JOIN stage s ON s.workspace_id = t.workspace_id AND s.id = t.stage_id
        WHERE t.workspace_id = $1
          AND ($2::varchar[] IS NULL OR t.event_names && $2::varchar[])
          AND ($3::uuid IS NULL OR t.journey_id = $3)
        """,
        workspace_id,
        names,
        journey_id,
    )
    marks: dict[str, list[Mark]] = defaultdict(list)
    wanted = set(names) if names is not None else None
    for row in rows:
        mark = Mark(row["journey_id"], row["stage_id"], row["position"], row["id"])
        for name in row["event_names"]:
            if wanted is None or name in wanted:
                marks[name].append(mark)
    return marks


async def record(
    connection: asyncpg.Connection, *, workspace_id: uuid.UUID, events: Tracked
) -> None:
    """Take newly stored track events (any number of batches, in any order) into progress and
    reach; the caller holds the workspace's fold lock (domain.metrics.fold), so nobody else
    writes these customers' progress meanwhile."""
    marks = await touchpoint_marks(connection, workspace_id, names=sorted(set(events.names)))
    reaches: dict[tuple[uuid.UUID, uuid.UUID], list[Reach]] = defaultdict(list)
    for customer_id, name, at, message_id in zip(*events, strict=True):
        for journey_id, stage_id, position, touchpoint_id in marks.get(name, ()):
            reaches[(journey_id, customer_id)].append(
                Reach(stage_id, position, touchpoint_id, at, message_id)
            )
    if not reaches:
        return
    current = await _load(connection, workspace_id, list(reaches))
    personas = await _personas(connection, workspace_id, {c for _, c in reaches})
    # No progress in a journey, no reach of its touchpoints either: both are written together.
    await _record_reach(
        connection, workspace_id, reaches, personas, fresh=reaches.keys() - current.keys()
    )
    positions = await _positions(connection, workspace_id, {j for j, _ in reaches})
    added: list[tuple[uuid.UUID, uuid.UUID, Progress]] = []
    changed: list[tuple[uuid.UUID, uuid.UUID, Progress]] = []
    late: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for (journey_id, customer_id), new in reaches.items():
        before = current.get((journey_id, customer_id))
        if before is None:  # the usual case: a customer new to the journey
            added.extend((journey_id, customer_id, p) for p in from_reaches(new).values())
            continue
        after = advance(before, positions, new)
        if after is None:
            late[journey_id].append(customer_id)
            continue
        for p in after.values():
            was = before.get(p.stage_id)
            if was is None:
                added.append((journey_id, customer_id, p))
            elif was != p:
                changed.append((journey_id, customer_id, p))
    await _insert(connection, workspace_id, added, personas)
    await _update(connection, workspace_id, changed, personas)
    for journey_id, customer_ids in late.items():
        await recompute(connection, workspace_id, journey_id, customer_ids)


REACH_COLUMNS = ("workspace_id", "touchpoint_id", "customer_id", "first_reached_at", "persona_id")

Personas = Mapping[uuid.UUID, uuid.UUID | None]  # customer id → their current persona


async def _personas(
    connection: asyncpg.Connection, workspace_id: uuid.UUID, customer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID | None]:
    """The current persona of each customer, which their progress and reach rows carry for the
    persona rollups (migration 0017); one primary key lookup each."""
    rows = await connection.fetch(
        """
        SELECT u.id, (SELECT c.persona_id FROM customer c
                      WHERE c.workspace_id = $1 AND c.id = u.id) AS persona_id
        FROM unnest($2::text::uuid[]) AS u(id)
        """,
        workspace_id,
        pg.uuids(customer_ids),
    )
    return {row["id"]: row["persona_id"] for row in rows}


async def follow_personas(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    customer_ids: Sequence[uuid.UUID],
    personas: Sequence[uuid.UUID | None],
) -> None:
    """Give these customers' progress and reach rows their current persona (one each) where it
    changed: the persona rollups' triggers move their counts to the new persona. Reach rows
    exist only beside progress rows of their journey, so only those journeys' are looked at.

    Upserts in which every row conflicts, each row found by its primary key: an UPDATE … FROM
    was planned as a scan of the workspace's whole reach table."""
    moved = await connection.fetch(
        """
        INSERT INTO stage_progress (workspace_id, journey_id, customer_id, stage_id, entered_at,
                                    entry_touchpoint_id, last_reached_at, persona_id)
        SELECT $1, p.journey_id, p.customer_id, p.stage_id, p.entered_at, p.entry_touchpoint_id,
               p.last_reached_at, u.persona_id
        FROM unnest($2::uuid[], $3::uuid[]) AS u(id, persona_id)
        CROSS JOIN LATERAL (
            SELECT * FROM stage_progress p WHERE p.workspace_id = $1 AND p.customer_id = u.id
              AND p.persona_id IS DISTINCT FROM u.persona_id
            OFFSET 0  -- a lookup per customer
        ) p
        ON CONFLICT (workspace_id, customer_id, journey_id, stage_id) DO UPDATE
        SET persona_id = excluded.persona_id
        RETURNING journey_id, customer_id, persona_id
        """,
        workspace_id,
        customer_ids,
        personas,
    )
    if not moved:
        return
    pairs = {(row["journey_id"], row["customer_id"]): row["persona_id"] for row in moved}
    await connection.execute(
        """
        INSERT INTO touchpoint_reach (workspace_id, touchpoint_id, customer_id, first_reached_at,
                                      persona_id)
        SELECT $1, r.touchpoint_id, r.customer_id, r.first_reached_at, m.persona_id
        FROM unnest($2::uuid[], $3::uuid[], $4::uuid[]) AS m(journey_id, customer_id, persona_id)
        CROSS JOIN LATERAL (
            SELECT r.* FROM touchpoint t
            JOIN touchpoint_reach r ON r.workspace_id = t.workspace_id AND r.touchpoint_id = t.id
             AND r.customer_id = m.customer_id
            WHERE t.workspace_id = $1 AND t.journey_id = m.journey_id
            OFFSET 0  -- a lookup per customer and touchpoint
        ) r
        ON CONFLICT (workspace_id, touchpoint_id, customer_id) DO UPDATE
        SET persona_id = excluded.persona_id
        """,
        workspace_id,
        [journey for journey, _ in pairs],
        [customer for _, customer in pairs],
        list(pairs.values()),
    )


async def forget_persona(
    connection: asyncpg.Connection, workspace_id: uuid.UUID, persona_id: uuid.UUID
) -> None:
    """A persona about to be deleted: its customers' rows have none from now on (their counts
    move to "no persona")."""
    for table in ("stage_progress", "touchpoint_reach"):
        await connection.execute(
            f"UPDATE {table} SET persona_id = NULL WHERE workspace_id = $1 AND persona_id = $2",
            workspace_id,
            persona_id,
        )


async def _record_reach(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    reaches: dict[tuple[uuid.UUID, uuid.UUID], list[Reach]],
    personas: Personas,
    *,
    fresh: Set[tuple[uuid.UUID, uuid.UUID]],
) -> None:
    """Each touchpoint's first reach by each customer, where it is earlier than the stored one
    (no row order: only the fold, under the workspace's fold lock, writes reach).

    The (journey, customer) pairs in `fresh` are expected to have no reach stored (no progress
    either): theirs are copied in without looking for rows to update, in a savepoint; should a
    row be there after all, they are merged like the others."""
    first: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}
    first_fresh: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}
    for pair, items in reaches.items():
        into = first_fresh if pair in fresh else first
        customer_id = pair[1]
        for _, _, touchpoint_id, at, _ in items:
            key = (touchpoint_id, customer_id)
            known = into.get(key)
            if known is None or at < known:
                into[key] = at
    if first_fresh:
        await connection.execute("SAVEPOINT fresh_reach")
        try:
            await connection.copy_records_to_table(
                "touchpoint_reach",
                columns=REACH_COLUMNS,
                records=[
                    (workspace_id, t, c, at, personas[c]) for (t, c), at in first_fresh.items()
                ],
            )
        except asyncpg.UniqueViolationError:
            await connection.execute("ROLLBACK TO SAVEPOINT fresh_reach")
            first.update(first_fresh)
        await connection.execute("RELEASE SAVEPOINT fresh_reach")
    if not first:
        return
    touchpoint_ids, customer_ids = zip(*first, strict=True)
    await connection.execute(
        """
        INSERT INTO touchpoint_reach (workspace_id, touchpoint_id, customer_id, first_reached_at,
                                      persona_id)
        SELECT $1, * FROM unnest($2::text::uuid[], $3::text::uuid[], $4::text::timestamptz[],
                                 $5::text::uuid[])
        ON CONFLICT (workspace_id, touchpoint_id, customer_id) DO UPDATE
        SET first_reached_at = excluded.first_reached_at
        WHERE excluded.first_reached_at < touchpoint_reach.first_reached_at
        """,
        workspace_id,
        pg.uuids(touchpoint_ids),
        pg.uuids(customer_ids),
        pg.times(first.values()),
        pg.uuids([personas[c] for c in customer_ids]),
    )


async def _load(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    pairs: list[tuple[uuid.UUID, uuid.UUID]],
) -> dict[tuple[uuid.UUID, uuid.UUID], dict[uuid.UUID, Progress]]:
    rows = await connection.fetch(
        """
        SELECT p.journey_id, p.customer_id, p.stage_id, p.entered_at, p.entry_touchpoint_id,
               p.last_reached_at, p.converted_at
        FROM unnest($2::text::uuid[]) AS c(id)
        CROSS JOIN LATERAL (
            SELECT * FROM stage_progress p WHERE p.workspace_id = $1 AND p.customer_id = c.id
            OFFSET 0  -- not flattened into a join: a lookup per customer
        ) p
        """,
        workspace_id,
        pg.uuids({c for _, c in pairs}),
    )  # by customer alone, one primary key lookup each: with statistics behind a growing table,
    # `customer_id = ANY(…)` was planned as a scan of all the workspace's progress
    wanted = set(pairs)
    current: dict[tuple[uuid.UUID, uuid.UUID], dict[uuid.UUID, Progress]] = defaultdict(dict)
    for row in rows:
        if (row["journey_id"], row["customer_id"]) not in wanted:
            continue
        current[(row["journey_id"], row["customer_id"])][row["stage_id"]] = Progress(
            row["stage_id"],
            row["entered_at"],
            row["entry_touchpoint_id"],
            row["last_reached_at"],
            row["converted_at"],
        )
    return current


async def _positions(
    connection: asyncpg.Connection, workspace_id: uuid.UUID, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    rows = await connection.fetch(
        "SELECT id, position FROM stage WHERE workspace_id = $1 AND journey_id = ANY($2::uuid[])",
        workspace_id,
        list(journey_ids),
    )
    return {row["id"]: row["position"] for row in rows}


PROGRESS_COLUMNS = (
    "workspace_id",
    "journey_id",
    "customer_id",
    *Progress._fields,
    "persona_id",
)


def _columns(
    rows: list[tuple[uuid.UUID, uuid.UUID, Progress]], personas: Personas
) -> tuple[Sequence, ...]:
    """Journey ids, customer ids, each Progress field, then personas: one sequence per column."""
    journey_ids, customer_ids, progress = zip(*rows, strict=True)
    return (
        journey_ids,
        customer_ids,
        *zip(*progress, strict=True),
        [personas[c] for c in customer_ids],
    )


async def _insert(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    rows: list[tuple[uuid.UUID, uuid.UUID, Progress]],
    personas: Personas,
) -> None:
    """Progress rows not stored yet (the caller knows: it loaded or deleted them), by COPY:
    cheaper for the database than INSERT from unnest, no dearer to encode, and it fires the
    same statement trigger (migration 0010) once."""
    if not rows:
        return
    await connection.copy_records_to_table(
        "stage_progress",
        columns=PROGRESS_COLUMNS,
        records=[
            (workspace_id, journey, customer, *p, personas[customer])
            for journey, customer, p in rows
        ],
    )


# What each column of `_columns` is, for its array literal.
_UPDATE_KINDS: tuple[Callable[[Iterable[Any]], str], ...] = (
    *(pg.uuids, pg.uuids, pg.uuids),  # journey, customer, stage
    *(pg.times, pg.uuids, pg.times, pg.times),  # the Progress fields after stage_id
    pg.uuids,  # persona
)


async def _update(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    rows: list[tuple[uuid.UUID, uuid.UUID, Progress]],
    personas: Personas,
) -> None:
    """Stored progress rows that changed. An upsert (every row conflicts) rather than UPDATE …
    FROM: its arbiter is the primary key, where UPDATE's plan, with statistics behind a growing
    table, chose another index of the journey and filtered all its rows for each changed one."""
    if not rows:
        return
    await connection.execute(
        """
        INSERT INTO stage_progress (workspace_id, journey_id, customer_id, stage_id, entered_at,
                                    entry_touchpoint_id, last_reached_at, converted_at,
                                    persona_id)
        SELECT $1, * FROM unnest($2::text::uuid[], $3::text::uuid[], $4::text::uuid[],
                                 $5::text::timestamptz[], $6::text::uuid[],
                                 $7::text::timestamptz[], $8::text::timestamptz[],
                                 $9::text::uuid[])
        ON CONFLICT (workspace_id, customer_id, journey_id, stage_id) DO UPDATE
        SET entered_at = excluded.entered_at, entry_touchpoint_id = excluded.entry_touchpoint_id,
            last_reached_at = excluded.last_reached_at, converted_at = excluded.converted_at
        """,  # arrays as literals: see domain.pg.texts
        workspace_id,
        *(
            kind(column)
            for kind, column in zip(_UPDATE_KINDS, _columns(rows, personas), strict=True)
        ),
    )


async def recompute(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    customer_ids: list[uuid.UUID],
) -> None:
    """Progress and reach of these customers in this journey, from their raw events."""
    marks = await touchpoint_marks(connection, workspace_id, journey_id=journey_id)
    for start in range(0, len(customer_ids), RECOMPUTE_CHUNK):
        chunk = customer_ids[start : start + RECOMPUTE_CHUNK]
        personas = await _personas(connection, workspace_id, chunk)
        events = await connection.fetch(
            """
            SELECT customer_id, name, timestamp, message_id FROM event
            WHERE workspace_id = $1 AND customer_id = ANY($2::uuid[]) AND name = ANY($3::varchar[])
            """,
            workspace_id,
            chunk,
            list(marks),
        )
        reaches: dict[uuid.UUID, list[Reach]] = defaultdict(list)
        for event in events:
            for mark in marks[event["name"]]:
                reaches[event["customer_id"]].append(
                    Reach(
                        mark.stage_id,
                        mark.position,
                        mark.touchpoint_id,
                        event["timestamp"],
                        event["message_id"],
                    )
                )
        await connection.execute(
            "DELETE FROM stage_progress WHERE workspace_id = $1 AND journey_id = $2 "
            "AND customer_id = ANY($3::uuid[])",
            workspace_id,
            journey_id,
            chunk,
        )
        await connection.execute(
            """
            DELETE FROM touchpoint_reach
            WHERE workspace_id = $1 AND customer_id = ANY($3::uuid[]) AND touchpoint_id IN (
                SELECT id FROM touchpoint WHERE workspace_id = $1 AND journey_id = $2)
            """,
            workspace_id,
            journey_id,
            chunk,
        )
        await _insert(
            connection,
            workspace_id,
            [
                (journey_id, customer_id, progress)
                for customer_id, items in reaches.items()
                for progress in from_reaches(items).values()
            ],
            personas,
        )
        by_pair = {(journey_id, c): items for c, items in reaches.items()}
        await _record_reach(connection, workspace_id, by_pair, personas, fresh=by_pair.keys())
