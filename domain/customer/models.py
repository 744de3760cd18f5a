import uuid
from datetime import datetime

from sqlalchemy import (
    Index,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped


class Customer(WorkspaceScoped, Base):
    """Someone events are about, known by the pipeline's `userId` (else `anonymousId`).

    `persona_id` is the persona of the latest identify (by event timestamp) that named one;
    `persona_set_at` lets metrics evaluated as of an earlier time fall back to the history, and
    `earlier_persona_id` / `earlier_persona_set_at` (the entry of the history before the latest;
    none when there is no other) answer for any time between the two without reading it;
    `first_tracked_at`, the earliest timestamp of their events with a name (none of their
    progress or reach is earlier), lets them find who had another persona then by an index.

    No foreign key to workspace: its per-row check was a sixth of the fold's database time
    (domain.metrics.fold writes customers by the thousand); deleting a workspace deletes its
    customers by trigger instead (migration 0008). None to persona either (migration 0024): the
    fold names only personas it finds in the same statement, and deleting a persona holds the
    workspace's fold lock while it clears them (domain.persona.service.delete).
    """

    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        # who may have had another persona at an evaluation time T: first tracked <= T <
        # persona set (the persona rollups' corrections, daily_rollups.moved_customers)
        Index(
            "ix_customer_persona_moved",
            "workspace_id",
            "persona_set_at",
            postgresql_include=[
                "first_tracked_at",
                "id",
                "persona_id",
                "earlier_persona_id",
                "earlier_persona_set_at",
            ],
            postgresql_where=text("persona_set_at > first_tracked_at"),
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, sort_order=-20)
    external_id: Mapped[str] = mapped_column(String(200))
    persona_id: Mapped[uuid.UUID | None]
    persona_set_at: Mapped[datetime | None]
    persona_message_id: Mapped[str | None] = mapped_column(String(200))
    earlier_persona_id: Mapped[uuid.UUID | None]
    earlier_persona_set_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime]
    first_tracked_at: Mapped[datetime | None]


class CustomerPersona(Base):
    """Every identify that set (or cleared) a customer's persona, for metrics as of a time.

    No foreign keys, as for customers (migration 0024): the fold writes the customer first, in
    the same transaction; deleting a workspace deletes the history before the customers."""

    __tablename__ = "customer_persona"
    __table_args__ = (PrimaryKeyConstraint("workspace_id", "customer_id", "set_at", "message_id"),)

    workspace_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    set_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(200))
    persona_id: Mapped[uuid.UUID | None]
