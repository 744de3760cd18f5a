import uuid
from datetime import date
from typing import Any

from sqlalchemy import Date, ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped


class TeamDigest(WorkspaceScoped, Base):
    """A team's weekly digest: one row per team and week, claimed before it is written, so two
    workers or a restart never send a week twice. Its message goes out through the outbox."""

    __tablename__ = "team_digest"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "team_id"], ["team.workspace_id", "team.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["workspace_id", "notification_id"],
            ["notification.workspace_id", "notification.id"],
        ),
        UniqueConstraint("workspace_id", "team_id", "week_start"),
        Index("ix_team_digest_notification", "workspace_id", "notification_id"),
    )

    team_id: Mapped[uuid.UUID]
    week_start: Mapped[date] = mapped_column(Date)  # the Monday (UTC) the reported week begins
    # None when the team had nothing to hear about that week (it owns no touchpoints).
    notification_id: Mapped[uuid.UUID | None]
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
