"""Customers as events name them, and the persona their identify calls give them."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True, slots=True)
class PersonaChange:
    """An identify that set (persona_id) or cleared (None) a customer's persona."""

    customer_id: uuid.UUID
    set_at: datetime
    message_id: str
    persona_id: uuid.UUID | None


async def resolve(
    connection: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    external_ids: Iterable[str],
    seen_at: datetime,
) -> dict[str, uuid.UUID]:
    """The customer id of every external id, creating customers first seen now.

    The upsert also locks each customer's row until commit, in external-id order: concurrent
    batches about the same customer take turns, so each sees the other's progress (below).
    """
    rows = await connection.fetch(
        """
        INSERT INTO customer (workspace_id, id, external_id, last_seen_at)
        SELECT $1, gen_random_uuid(), external_id, $3
        FROM unnest($2::varchar[]) AS external_id ORDER BY external_id COLLATE "C"
        ON CONFLICT (workspace_id, external_id) DO UPDATE
        SET last_seen_at = greatest(customer.last_seen_at, excluded.last_seen_at)
        RETURNING external_id, id
        """,
        workspace_id,
        sorted(set(external_ids)),
        seen_at,
    )
    return {row["external_id"]: row["id"] for row in rows}


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
    one, by event timestamp, the customer's persona: a late identify does not override."""
    if not changes:
        return
    columns = _columns(changes)
    await connection.execute(
        """
        INSERT INTO customer_persona (workspace_id, customer_id, set_at, message_id, persona_id)
        SELECT $1, * FROM unnest($2::uuid[], $3::timestamptz[], $4::varchar[], $5::uuid[])
        ON CONFLICT DO NOTHING
        """,
        workspace_id,
        *columns,
    )
    latest = _columns(latest_per_customer(changes))
    await connection.execute(
        """
        UPDATE customer AS c
        SET persona_id = u.persona_id, persona_set_at = u.set_at, persona_message_id = u.message_id
        FROM unnest($2::uuid[], $3::timestamptz[], $4::varchar[], $5::uuid[])
            AS u(customer_id, set_at, message_id, persona_id)
        WHERE c.workspace_id = $1 AND c.id = u.customer_id
          AND (c.persona_set_at IS NULL OR c.persona_set_at < u.set_at
               OR (c.persona_set_at = u.set_at
                   AND c.persona_message_id COLLATE "C" < u.message_id COLLATE "C"))
        """,
        workspace_id,
        *latest,
    )


def _columns(changes: list[PersonaChange]) -> tuple[list, list, list, list]:
    return (
        [c.customer_id for c in changes],
        [c.set_at for c in changes],
        [c.message_id for c in changes],
        [c.persona_id for c in changes],
    )
