import uuid

from sqlalchemy import Boolean, Float, ForeignKeyConstraint, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped

DEFAULT_BASELINE_DAYS = 28
DEFAULT_RECENT_DAYS = 3
DEFAULT_ALERT_WINDOW_HOURS = 7 * 24
DEFAULT_MIN_CHANGE_POINTS = 5.0
DEFAULT_ALPHA = 0.00001
DEFAULT_MIN_SAMPLE = 50


class AlertRule(WorkspaceScoped, Base):
    """When to alert on one stage of a journey, or on all of them (`stage_id` empty).

    Unset `alert_window_hours` and `cooldown_hours` follow the journey and the recent window
    (see domain.alert_rule.service.policy), so a rule keeps doing the right thing when those
    change.
    """

    __tablename__ = "alert_rule"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"], ondelete="CASCADE"
        ),
        # One rule per stage, and one for "all stages", per journey.
        Index(
            "uq_alert_rule_journey_stage",
            "workspace_id",
            "journey_id",
            "stage_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    journey_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    baseline_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_BASELINE_DAYS)
    recent_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_RECENT_DAYS)
    alert_window_hours: Mapped[int | None] = mapped_column(Integer)
    min_change_points: Mapped[float] = mapped_column(Float, default=DEFAULT_MIN_CHANGE_POINTS)
    alpha: Mapped[float] = mapped_column(Float, default=DEFAULT_ALPHA)
    min_sample: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_SAMPLE)
    cooldown_hours: Mapped[int | None] = mapped_column(Integer)
