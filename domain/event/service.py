"""Ingestion: the one use case every door (HTTP, GraphQL, file import) calls with a batch of
events, answering for each whether it was stored, a duplicate, or rejected and why.

Good events are stored even when others in the batch are bad; the batch is one transaction,
so nothing is ever half-stored.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from domain.customer import service as customer_service
from domain.customer.service import PersonaChange
from domain.event import message as event_message
from domain.event import partitions
from domain.event.message import NO_PERSONA, Message, Reason, Rejected
from domain.event.models import EventType
from domain.metrics import maintain
from domain.pg import connection_of

EVENT_COLUMNS = (
    "workspace_id",
    "timestamp",
    "message_id",
    "customer_id",
    "type",
    "name",
    "data",
    "received_at",
)


class Status(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class EventResult:
    index: int
    message_id: str | None
    status: Status
    reason: Reason | None = None
    message: str | None = None


@dataclass
class IngestResult:
    results: list[EventResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def accepted(self) -> int:
        return self.count(Status.ACCEPTED)

    @property
    def duplicates(self) -> int:
        return self.count(Status.DUPLICATE)

    @property
    def rejected(self) -> int:
        return self.count(Status.REJECTED)


async def ingest(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    events: Sequence[Any],
    received_at: datetime | None = None,
    default_type: str | None = None,
) -> IngestResult:
    """Store a batch of Segment-shaped events (dicts with messageId, userId or anonymousId,
    type, event, timestamp, properties, traits); a messageId seen before is acknowledged and
    ignored; `default_type` applies to events without a `type` (as /v1/track implies)."""
    received_at = received_at or datetime.now(UTC)
    results: list[EventResult | None] = [None] * len(events)
    messages: dict[int, Message] = {}
    seen: set[str] = set()
    for index, raw in enumerate(events):
        try:
            message = event_message.read(raw, received_at=received_at, default_type=default_type)
        except Rejected as rejected:
            results[index] = EventResult(
                index,
                event_message.message_id_of(raw),
                Status.REJECTED,
                rejected.reason,
                rejected.message,
            )
            continue
        if message.message_id in seen:
            results[index] = EventResult(index, message.message_id, Status.DUPLICATE)
            continue
        seen.add(message.message_id)
        messages[index] = message
    connection = await connection_of(session)
    personas = await _personas(connection, workspace_id, messages, results)
    if messages:
        # Both before any row is written, so that no lock is taken out of order (domain.event
        # .partitions, domain.metrics.maintain).
        await maintain.hold_mapping(connection, workspace_id)
        await partitions.ensure(connection, (m.timestamp for m in messages.values()))
    stored = await _claim(connection, workspace_id, messages, results)
    if stored:
        await _store(connection, workspace_id, stored, personas, received_at)
    return IngestResult([r for r in results if r is not None])


async def _personas(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    messages: dict[int, Message],
    results: list[EventResult | None],
) -> dict[int, uuid.UUID | None]:
    """The persona each identify sets (or clears); one naming no known persona is rejected,
    so that the sender can create the persona and send it again."""
    wanted = {i: m for i, m in messages.items() if m.persona is not NO_PERSONA}
    if not wanted:
        return {}
    rows = await connection.fetch(
        "SELECT id, name FROM persona WHERE workspace_id = $1", workspace_id
    )
    by_name = {row["name"].lower(): row["id"] for row in rows}
    ids = {row["id"] for row in rows}
    chosen: dict[int, uuid.UUID | None] = {}
    for index, message in wanted.items():
        persona = message.persona
        if persona is None:
            chosen[index] = None
        elif isinstance(persona, uuid.UUID) and persona in ids:
            chosen[index] = persona
        elif isinstance(persona, str) and persona.lower() in by_name:
            chosen[index] = by_name[persona.lower()]
        else:
            del messages[index]
            results[index] = EventResult(
                index,
                message.message_id,
                Status.REJECTED,
                Reason.UNKNOWN_PERSONA,
                f"No persona “{persona}” exists in this workspace; create it first or fix the "
                "persona trait.",
            )
    return chosen


async def _claim(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    messages: dict[int, Message],
    results: list[EventResult | None],
) -> dict[int, Message]:
    """Record the batch's messageIds; those recorded before are duplicates."""
    if not messages:
        return {}
    new = await connection.fetch(
        """
        INSERT INTO event_receipt (workspace_id, message_id)
        SELECT $1, message_id FROM unnest($2::varchar[]) AS message_id
        ON CONFLICT DO NOTHING RETURNING message_id
        """,
        workspace_id,
        [m.message_id for m in messages.values()],
    )
    fresh = {row["message_id"] for row in new}
    stored = {}
    for index, message in messages.items():
        if message.message_id in fresh:
            stored[index] = message
            results[index] = EventResult(index, message.message_id, Status.ACCEPTED)
        else:
            results[index] = EventResult(index, message.message_id, Status.DUPLICATE)
    return stored


async def _store(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    stored: dict[int, Message],
    personas: dict[int, uuid.UUID | None],
    received_at: datetime,
) -> None:
    customers = await customer_service.resolve(
        connection,
        workspace_id=workspace_id,
        external_ids=(m.external_id for m in stored.values()),
        seen_at=received_at,
    )
    await connection.copy_records_to_table(
        "event",
        columns=EVENT_COLUMNS,
        records=[
            (
                workspace_id,
                m.timestamp,
                m.message_id,
                customers[m.external_id],
                m.type.value,
                m.name,
                m.data,
                received_at,
            )
            for m in stored.values()
        ],
    )
    await customer_service.record_personas(
        connection,
        workspace_id=workspace_id,
        changes=[
            PersonaChange(customers[m.external_id], m.timestamp, m.message_id, personas[i])
            for i, m in stored.items()
            if i in personas
        ],
    )
    tracked = [
        maintain.Tracked(customers[m.external_id], m.name, m.timestamp, m.message_id)
        for m in stored.values()
        if m.type is EventType.TRACK and m.name is not None
    ]
    await maintain.record(connection, workspace_id=workspace_id, events=tracked)
    await _count_names(connection, workspace_id, tracked, received_at)


async def _count_names(
    connection: asyncpg.Connection,
    workspace_id: uuid.UUID,
    tracked: list[maintain.Tracked],
    received_at: datetime,
) -> None:
    """Last, because every batch with the same event name waits on these rows until commit."""
    counts: dict[str, int] = {}
    for event in tracked:
        counts[event.name] = counts.get(event.name, 0) + 1
    names = sorted(counts)
    await connection.execute(
        """
        INSERT INTO event_name_count (workspace_id, name, events, last_received_at)
        SELECT $1, name, events, $4 FROM unnest($2::varchar[], $3::bigint[]) AS c(name, events)
        ON CONFLICT (workspace_id, name) DO UPDATE
        SET events = event_name_count.events + excluded.events,
            last_received_at = excluded.last_received_at
        """,
        workspace_id,
        names,
        [counts[n] for n in names],
        received_at,
    )
