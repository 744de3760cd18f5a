"""Customers as events name them, and the persona their identify calls give them."""

import functools
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

import asyncpg
from asyncpg.pgproto.pgproto import UUID as FastUUID  # a uuid.UUID, 10x quicker to make and send

from domain import pg
from domain.metrics import progress_rows


class PersonaChange(NamedTuple):
    """An identify that set (persona_id) or cleared (None) a customer's persona."""

    customer_id: uuid.UUID
    set_at: datetime
    message_id: str
    persona_id: uuid.UUID | None


# Busy customers send many batches in a row. Each entry holds about 250 bytes (the external id
# among them): at 100,000 the cache took 25 MB of a web process, filling over the better part of
# an hour of steady ingestion, to save a hash (a microsecond) per customer and batch.
@functools.lru_cache(maxsize=10_000)
def customer_id(workspace_id: uuid.UUID, external_id: str) -> uuid.UUID:
    """A customer's id, derived from who names them: ingest knows it without asking the
    database (the same as SQL `customer_uuid(workspace_id, external_id)`, migration 0007)."""
    digest = hashlib.sha256(f"{workspace_id}:{external_id}".encode()).digest()
    return FastUUID(digest[:16])


async def record_seen(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    seen: Mapping[uuid.UUID, tuple[str, datetime]],
    first_tracked: Mapping[uuid.UUID, datetime],
) -> None:
    """Create the customers first seen, move last_seen_at forward (customer id → external id
    and when last seen) and first_tracked_at back (customer id → their earliest event with a
    name among these); in id order, so that two writers never wait on each other in a circle."""
    ids = sorted(seen)
    await connection.execute(
        """
        INSERT INTO customer (workspace_id, id, external_id, last_seen_at, first_tracked_at)
        SELECT $1, * FROM unnest($2::text::uuid[], $3::text::varchar[], $4::text::timestamptz[],
                                 $5::text::timestamptz[])
        ON CONFLICT (workspace_id, id) DO UPDATE
        SET last_seen_at = greatest(customer.last_seen_at, excluded.last_seen_at),
            first_tracked_at = least(customer.first_tracked_at, excluded.first_tracked_at)
        WHERE customer.last_seen_at < excluded.last_seen_at
           OR excluded.first_tracked_at < coalesce(customer.first_tracked_at, 'infinity')
        """,  # arrays as literals: see domain.pg.texts
        workspace_id,
        pg.uuids(ids),
        pg.texts([seen[i][0] for i in ids]),
        pg.times([seen[i][1] for i in ids]),
        pg.times([first_tracked.get(i) for i in ids]),
    )


def latest_per_customer(changes: Iterable[PersonaChange]) -> list[PersonaChange]:
    """Of several changes to one customer, the one that wins: latest timestamp, then the
    greatest messageId (a fixed rule, so that ties are decided the same everywhere)."""
    latest: dict[uuid.UUID, PersonaChange] = {}
    for change in changes:
        current = latest.get(change.customer_id)
        if current is None or (change.set_at, change.message_id) > (
            current.set_at,
            current.message_id,
        ):
            latest[change.customer_id] = change
    return list(latest.values())


async def record_personas(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    changes: list[PersonaChange],
) -> None:
    """Keep every persona change (metrics as of an earlier time need them) and make the latest
    one, by event timestamp, the customer's persona: a late identify does not override. Their
    stage progress and reach follow (the persona rollups count them under their new persona).
    The entry before the latest is kept on the customer too (`earlier_persona_id`), a late
    identify's included.

    A persona deleted since the identify was accepted counts as none, as deleting a persona
    leaves its customers with none (domain.persona.service.delete)."""
    if not changes:
        return
    columns = _columns(changes)
    await connection.execute(
        """
        INSERT INTO customer_persona (workspace_id, customer_id, set_at, message_id, persona_id)
        SELECT $1, u.customer_id, u.set_at, u.message_id, p.id
        FROM unnest($2::uuid[], $3::timestamptz[], $4::varchar[], $5::uuid[])
            AS u(customer_id, set_at, message_id, persona_id)
        LEFT JOIN persona p ON p.workspace_id = $1 AND p.id = u.persona_id
        ON CONFLICT DO NOTHING
        """,
        workspace_id,
        *columns,
    )
    latest = _columns(latest_per_customer(changes))
    changed = await connection.fetch(
        """
        UPDATE customer AS c
        SET persona_id = (SELECT p.id FROM persona p WHERE p.workspace_id = $1
                          AND p.id = u.persona_id),
            persona_set_at = u.set_at, persona_message_id = u.message_id
        FROM unnest($2::uuid[], $3::timestamptz[], $4::varchar[], $5::uuid[])
            AS u(customer_id, set_at, message_id, persona_id)
        WHERE c.workspace_id = $1 AND c.id = u.customer_id
          AND (c.persona_set_at IS NULL OR c.persona_set_at < u.set_at
               OR (c.persona_set_at = u.set_at
                   AND c.persona_message_id COLLATE "C" < u.message_id COLLATE "C"))
        RETURNING c.id, c.persona_id
        """,
        workspace_id,
        *latest,
    )
    await connection.execute(
        """
        UPDATE customer AS c
        SET earlier_persona_id = e.persona_id, earlier_persona_set_at = e.set_at
        FROM unnest($2::uuid[]) AS u(customer_id)
        LEFT JOIN LATERAL (
            SELECT h.persona_id, h.set_at FROM customer_persona h
            WHERE h.workspace_id = $1 AND h.customer_id = u.customer_id
            ORDER BY h.set_at DESC, h.message_id COLLATE "C" DESC OFFSET 1 LIMIT 1
        ) e ON true
        WHERE c.workspace_id = $1 AND c.id = u.customer_id
          AND (c.earlier_persona_set_at IS DISTINCT FROM e.set_at
               OR c.earlier_persona_id IS DISTINCT FROM e.persona_id)
        """,
        workspace_id,
        latest[0],
    )
    if changed:
        await progress_rows.follow_personas(
            connection,
            workspace_id,
            [row["id"] for row in changed],
            [row["persona_id"] for row in changed],
        )


def _columns(changes: list[PersonaChange]) -> tuple[list, list, list, list]:
    return (
        [c.customer_id for c in changes],
        [c.set_at for c in changes],
        [c.message_id for c in changes],
        [c.persona_id for c in changes],
    )
