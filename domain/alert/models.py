import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Float, ForeignKeyConstraint, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.alert.horizon import in_words
from domain.base import Base, WorkspaceScoped, enum_column


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    BY_HAND = "by_hand"
    RECOVERED = "recovered"


class AlertAction(StrEnum):
    """What the activity log records."""

    FIRED = "fired"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    MUTED = "muted"
    RESOLVED = "resolved"
    AUTO_RESOLVED = "auto_resolved"
    REOPENED = "reopened"  # resolved by hand, but the cohorts since showed it still down


# Resolved by hand and not yet checked since (domain.alert.proof).
PROOF_DUE = (
    "resolution = 'by_hand' AND (proof_checked_at IS NULL OR proof_checked_at < resolved_at)"
)


class Alert(WorkspaceScoped, Base):
    """A stage's conversion fell for real: the figures it fired on and what people did since.

    At most one alert per rule and stage is not yet resolved (a partial unique index), so two
    evaluations racing each other cannot open two.
    """

    __tablename__ = "alert"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "rule_id"],
            ["alert_rule.workspace_id", "alert_rule.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"], ondelete="CASCADE"
        ),
        Index(
            "uq_alert_one_unresolved",
            "workspace_id",
            "rule_id",
            "stage_id",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
        ),
        ForeignKeyConstraint(
            ["workspace_id", "resolved_by_action_id"],
            ["action.workspace_id", "action.id"],
            ondelete="SET NULL (resolved_by_action_id)",
            use_alter=True,
        ),
        Index("ix_alert_journey_fired", "workspace_id", "journey_id", "fired_at"),
        Index("ix_alert_rule_stage_fired", "workspace_id", "rule_id", "stage_id", "fired_at"),
        # The worker's question: which alerts resolved by hand still wait for their proof?
        Index(
            "ix_alert_proof_due",
            "resolved_at",
            postgresql_where=text(PROOF_DUE),
        ),
    )

    rule_id: Mapped[uuid.UUID]
    journey_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID]
    status: Mapped[AlertStatus] = mapped_column(
        enum_column(AlertStatus, "alert_status"), default=AlertStatus.OPEN
    )
    fired_at: Mapped[datetime]
    # The evaluation it fired on: cohort days, conversion within the horizon it judged on (in
    # hours; the alert window itself for slow stages and alerts fired before horizons), the
    # test.
    alert_window_hours: Mapped[int] = mapped_column(Integer)
    baseline_first: Mapped[date] = mapped_column(Date)
    baseline_last: Mapped[date] = mapped_column(Date)
    recent_first: Mapped[date] = mapped_column(Date)
    recent_last: Mapped[date] = mapped_column(Date)
    baseline_entered: Mapped[int] = mapped_column(Integer)
    baseline_converted: Mapped[int] = mapped_column(Integer)
    recent_entered: Mapped[int] = mapped_column(Integer)
    recent_converted: Mapped[int] = mapped_column(Integer)
    change_points: Mapped[float] = mapped_column(Float)
    z_score: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    driver_dimension: Mapped[str | None] = mapped_column(String(32))
    driver_label: Mapped[str | None] = mapped_column(String(120))
    driver_points: Mapped[float | None] = mapped_column(Float)
    driver_share: Mapped[float | None] = mapped_column(Float)
    # What staff had logged at the stage when it fired: the qualitative reason by the number.
    observations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    assignee_name: Mapped[str | None] = mapped_column(String(120))
    muted_until: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution, "resolution"))
    recovery_reason: Mapped[str | None] = mapped_column(Text)
    # The done action that resolved it, when a person resolved it by one.
    resolved_by_action_id: Mapped[uuid.UUID | None]
    # After a resolution by hand: the cohorts since against the baseline it fired on
    # (domain.alert.proof), and when that was last settled.
    proof: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    proof_checked_at: Mapped[datetime | None]

    @property
    def baseline_rate(self) -> float:
        return self.baseline_converted / self.baseline_entered if self.baseline_entered else 0.0

    @property
    def recent_rate(self) -> float:
        return self.recent_converted / self.recent_entered if self.recent_entered else 0.0

    @property
    def converted_within(self) -> str:
        """The horizon conversion was counted within, in words ("1 day")."""
        return in_words(timedelta(hours=self.alert_window_hours))


class AlertActivity(WorkspaceScoped, Base):
    """Who did what to an alert, and when (`created_at`); no actor means JourneyOps itself."""

    __tablename__ = "alert_activity"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "alert_id"], ["alert.workspace_id", "alert.id"], ondelete="CASCADE"
        ),
        Index("ix_alert_activity_alert", "workspace_id", "alert_id", "created_at"),
    )

    alert_id: Mapped[uuid.UUID]
    action: Mapped[AlertAction] = mapped_column(enum_column(AlertAction, "alert_action"))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="")
