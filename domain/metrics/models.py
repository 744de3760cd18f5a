import uuid
from datetime import date, datetime

from sqlalchemy import (
    Computed,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base
from domain.metrics.definitions import DURATION_BUCKET, ENTRY_DAY


class StageProgress(Base):
    """Where one customer stands in one stage of a journey, kept up to date by the fold.

    `entered_at` is their first reach of the stage (entry touchpoint: the touchpoint of that
    event), `converted_at` the first event of a later stage at or after it, `last_reached_at` the
    latest event of the stage. Every stage metric, for any period, time zone, conversion window
    and evaluation time, follows from these without reading raw events. No foreign keys:
    checking journey, stage (and customer) per written row made the fold ~60 % slower; deleting
    a journey or stage deletes its rows by trigger instead (migration 0007), and customers are
    never deleted on their own. `persona_id` is the customer's current persona (kept by the fold
    and by deleting a persona), which the persona rollups are keyed by (migration 0017).
    """

    __tablename__ = "stage_progress"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "customer_id", "journey_id", "stage_id"),
        Index(
            "ix_stage_progress_entered",
            "workspace_id",
            "journey_id",
            "entered_at",
            postgresql_include=[
                "stage_id",
                "converted_at",
                "entry_touchpoint_id",
                "customer_id",
                "persona_id",
            ],
        ),
        # The conversions of one stage and duration bucket in entry order: reading a
        # percentile fetches the one rank it needs from here.
        Index(
            "ix_stage_progress_duration",
            "workspace_id",
            "journey_id",
            "stage_id",
            "duration_bucket",
            "entered_at",
            postgresql_include=["converted_at", "entry_touchpoint_id", "customer_id", "persona_id"],
            postgresql_where=text("converted_at IS NOT NULL"),
        ),
        # Conversions by day of entry (UTC) and time: what a rollup counted after an evaluation
        # time, for a period's entry days one index descent each (migration 0021).
        Index(
            "ix_stage_progress_entry_day_converted",
            "workspace_id",
            "journey_id",
            text(f"({ENTRY_DAY})"),
            "converted_at",
            postgresql_include=[
                "entered_at",
                "stage_id",
                "entry_touchpoint_id",
                "duration_bucket",
                "persona_id",
            ],
            postgresql_where=text("converted_at IS NOT NULL"),
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
    persona_id: Mapped[uuid.UUID | None]
    duration_bucket: Mapped[int | None] = mapped_column(
        SmallInteger, Computed(DURATION_BUCKET, persisted=True)
    )


class TouchpointReach(Base):
    """When a customer first reached a touchpoint (no foreign keys, as above; deleting a
    touchpoint deletes its rows by trigger)."""

    __tablename__ = "touchpoint_reach"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "touchpoint_id", "customer_id"),
        Index(
            "ix_touchpoint_reach_first",
            "workspace_id",
            "touchpoint_id",
            "first_reached_at",
            postgresql_include=["customer_id", "persona_id"],
        ),
    )

    workspace_id: Mapped[uuid.UUID]
    touchpoint_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    first_reached_at: Mapped[datetime]
    persona_id: Mapped[uuid.UUID | None]  # the customer's current persona, as on stage_progress


class StageDay(Base):
    """The progress rows of one local day of entry (journey time zone), stage and entry
    touchpoint, summed: entries, conversions within the journey's window, and their durations
    as a dense histogram (bytes 4b to 4b + 3, a little-endian int32, count `duration_bucket`
    b; migration 0020). `latest` bounds every
    entry and counted conversion time from above, so the row holds as of any time at or after
    it. Kept by statement triggers on stage_progress (migration 0010); rebuilt for a journey by
    `journey_rollup_rebuild` when its time zone or window changes. No touchpoint foreign key:
    progress keeps its entry touchpoint until the remap that follows a touchpoint's deletion."""

    __tablename__ = "stage_day"
    __table_args__ = (
        PrimaryKeyConstraint(
            "workspace_id", "journey_id", "day", "stage_id", "entry_touchpoint_id"
        ),
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"], ondelete="CASCADE"
        ),
    )

    workspace_id: Mapped[uuid.UUID]
    journey_id: Mapped[uuid.UUID]
    day: Mapped[date]
    stage_id: Mapped[uuid.UUID]
    entry_touchpoint_id: Mapped[uuid.UUID]
    entered: Mapped[int]
    converted: Mapped[int]
    histogram: Mapped[bytes] = mapped_column(LargeBinary)
    latest: Mapped[datetime | None]


class TouchpointDay(Base):
    """First reaches of a touchpoint per local day (journey time zone), kept like StageDay."""

    __tablename__ = "touchpoint_day"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "journey_id", "day", "touchpoint_id"),
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "touchpoint_id"],
            ["touchpoint.workspace_id", "touchpoint.id"],
            ondelete="CASCADE",
        ),
    )

    workspace_id: Mapped[uuid.UUID]
    journey_id: Mapped[uuid.UUID]
    day: Mapped[date]
    touchpoint_id: Mapped[uuid.UUID]
    customers: Mapped[int]
    latest: Mapped[datetime | None]


class StagePersonaDay(Base):
    """StageDay per persona: the progress rows whose customer has that persona now
    (`stage_progress.persona_id`). Customers with none are StageDay less every persona. Kept by
    statement triggers on stage_progress (migration 0017), which also move a customer's rows
    when their persona changes; rebuilt with StageDay (`journey_persona_rollup_rebuild`)."""

    __tablename__ = "stage_persona_day"
    __table_args__ = (
        PrimaryKeyConstraint(
            "workspace_id", "journey_id", "day", "stage_id", "entry_touchpoint_id", "persona_id"
        ),
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "persona_id"],
            ["persona.workspace_id", "persona.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"], ondelete="CASCADE"
        ),
    )

    workspace_id: Mapped[uuid.UUID]
    journey_id: Mapped[uuid.UUID]
    day: Mapped[date]
    stage_id: Mapped[uuid.UUID]
    entry_touchpoint_id: Mapped[uuid.UUID]
    persona_id: Mapped[uuid.UUID]
    entered: Mapped[int]
    converted: Mapped[int]
    histogram: Mapped[bytes] = mapped_column(LargeBinary)
    latest: Mapped[datetime | None]


class TouchpointPersonaDay(Base):
    """TouchpointDay per persona (the customer's current one), kept like StagePersonaDay."""

    __tablename__ = "touchpoint_persona_day"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "journey_id", "day", "touchpoint_id", "persona_id"),
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "persona_id"],
            ["persona.workspace_id", "persona.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "touchpoint_id"],
            ["touchpoint.workspace_id", "touchpoint.id"],
            ondelete="CASCADE",
        ),
    )

    workspace_id: Mapped[uuid.UUID]
    journey_id: Mapped[uuid.UUID]
    day: Mapped[date]
    touchpoint_id: Mapped[uuid.UUID]
    persona_id: Mapped[uuid.UUID]
    customers: Mapped[int]
    latest: Mapped[datetime | None]
