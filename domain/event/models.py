import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    PrimaryKeyConstraint,
    String,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, enum_column

PARTITION_SCHEMA = "event_partition"


class EventType(StrEnum):
    """Segment's calls that JourneyOps stores (domain.event.message says how it reads each)."""

    TRACK = "track"
    IDENTIFY = "identify"
    PAGE = "page"
    SCREEN = "screen"


class Event(Base):
    """A customer event as received, kept forever; partitioned by month of its timestamp.

    The monthly partitions live in the `event_partition` schema and are created on demand at
    ingest (domain.event.partitions). No primary key or foreign keys: uniqueness of
    `(workspace_id, message_id)` is kept by `event_receipt` (a partitioned table cannot hold a
    unique key without the timestamp), and per-row key checks would halve ingest speed.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_customer", "workspace_id", "customer_id", "timestamp"),
        Index("ix_event_name", "workspace_id", "name", "timestamp"),
        {"postgresql_partition_by": "RANGE (timestamp)"},
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column()
    timestamp: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[uuid.UUID]
    type: Mapped[EventType] = mapped_column(enum_column(EventType, "event_type"))
    name: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime]

    __mapper_args__ = {"primary_key": [workspace_id, message_id]}


class PendingBatch(Base):
    """A stored batch that metrics have not taken in yet: what the fold (domain.metrics.fold)
    needs of it, written in the batch's own transaction and deleted by the fold that takes it
    in. Arrays of the batch's stored events, so that a batch costs one row."""

    __tablename__ = "pending_batch"
    __table_args__ = (PrimaryKeyConstraint("workspace_id", "id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    id: Mapped[int] = mapped_column(BigInteger, Identity())
    received_at: Mapped[datetime]
    # Every customer the batch names (distinct), for `customer` rows and last_seen_at.
    customer_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    external_ids: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    # The named events (track, page, screen), for progress, reach and event name counts.
    track_customer_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    track_names: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    track_timestamps: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)))
    track_message_ids: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    # The identify events that set (a persona id) or cleared (NULL) a persona.
    persona_customer_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    persona_timestamps: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)))
    persona_message_ids: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    persona_ids: Mapped[list[uuid.UUID | None]] = mapped_column(ARRAY(Uuid))


class EventReceipt(Base):
    """The messageIds a workspace has stored: a retry of one is acknowledged and ignored."""

    __tablename__ = "event_receipt"
    __table_args__ = (PrimaryKeyConstraint("workspace_id", "message_id"),)

    workspace_id: Mapped[uuid.UUID]
    message_id: Mapped[str] = mapped_column(String(200))


class EventNameCount(Base):
    """How many track events of each name a workspace has received (unmapped ones show up
    here without scanning raw events)."""

    __tablename__ = "event_name_count"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger)
    last_received_at: Mapped[datetime]
