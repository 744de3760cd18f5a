import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped, enum_column
from domain.vocabulary import ActionStatus


class Action(WorkspaceScoped, Base):
    """An improvement a team owns, addressing a stage and the observations behind it."""

    __tablename__ = "action"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"]),
        ForeignKeyConstraint(["workspace_id", "owner_team_id"], ["team.workspace_id", "team.id"]),
        ForeignKeyConstraint(
            ["workspace_id", "alert_id"],
            ["alert.workspace_id", "alert.id"],
            ondelete="SET NULL (alert_id)",
        ),
        # The worker's question: which done actions still wait for their outcome?
        Index(
            "ix_action_outcome_due",
            "done_at",
            postgresql_where=text("status = 'done' AND outcome IS NULL"),
        ),
        # A retried or repeated creation (a Slack view submitted twice) creates one action.
        Index(
            "uq_action_idempotency_key",
            "workspace_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    journey_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID | None]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_team_id: Mapped[uuid.UUID | None]
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "action_status"), default=ActionStatus.OPEN
    )
    due_on: Mapped[date | None] = mapped_column(Date)
    # Who created it (a chat user id and display name; none when made over the API).
    created_by_id: Mapped[str | None] = mapped_column(String(64))
    created_by_name: Mapped[str | None] = mapped_column(String(120))
    # The alert it was created from, if any.
    alert_id: Mapped[uuid.UUID | None]
    status_changed_at: Mapped[datetime | None]
    # When it was marked done: post-action cohorts are those that entered after this.
    done_at: Mapped[datetime | None]
    # The measured outcome (verdict, figures, sample sizes, p-value), once known.
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    outcome_measured_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))


class ActionActivity(WorkspaceScoped, Base):
    """Who moved an action to which status, and when (`created_at`)."""

    __tablename__ = "action_activity"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "action_id"], ["action.workspace_id", "action.id"], ondelete="CASCADE"
        ),
        Index("ix_action_activity_action", "workspace_id", "action_id", "created_at"),
    )

    action_id: Mapped[uuid.UUID]
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, "action_status"))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(120))


class ActionObservation(Base):
    """Which observations an action addresses."""

    __tablename__ = "action_observation"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "action_id"], ["action.workspace_id", "action.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["workspace_id", "observation_id"],
            ["observation.workspace_id", "observation.id"],
            ondelete="CASCADE",
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    action_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    observation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
