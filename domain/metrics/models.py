import uuid
from datetime import datetime

from sqlalchemy import Index, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped

from domain.base import Base


class StageProgress(Base):
    """Where one customer stands in one stage of a journey, kept up to date by the fold.

    `entered_at` is their first reach of the stage (entry touchpoint: the touchpoint of that
    event), `converted_at` the first event of a later stage at or after it, `last_reached_at` the
    latest event of the stage. Every stage metric, for any period, time zone, conversion window
    and evaluation time, follows from these without reading raw events. No foreign keys:
    checking journey, stage (and customer) per written row made the fold ~60 % slower; deleting
    a journey or stage deletes its rows by trigger instead (migration 0007), and customers are
    never deleted on their own.
    """

    __tablename__ = "stage_progress"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "customer_id", "journey_id", "stage_id"),
        Index(
            "ix_stage_progress_entered",
            "workspace_id",
            "journey_id",
            "entered_at",
            postgresql_include=["stage_id", "converted_at", "entry_touchpoint_id", "customer_id"],
        ),
    )

    workspace_id: Mapped[uuid.UUID]
    journey_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID]
    entered_at: Mapped[datetime]
    entry_touchpoint_id: Mapped[uuid.UUID]
    last_reached_at: Mapped[datetime]
    converted_at: Mapped[datetime | None]


class TouchpointReach(Base):
    """When a customer first reached a touchpoint (no foreign keys, as above; deleting a
    touchpoint deletes its rows by trigger)."""

    __tablename__ = "touchpoint_reach"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "touchpoint_id", "customer_id"),
        Index("ix_touchpoint_reach_first", "workspace_id", "touchpoint_id", "first_reached_at"),
    )

    workspace_id: Mapped[uuid.UUID]
    touchpoint_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    first_reached_at: Mapped[datetime]
