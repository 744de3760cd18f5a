import uuid

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped


class Subscription(WorkspaceScoped, Base):
    """A chat channel that receives a journey's alerts and digests (or one stage's only)."""

    __tablename__ = "subscription"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"], ondelete="CASCADE"
        ),
        Index("ix_subscription_journey", "workspace_id", "journey_id"),
        Index("ix_subscription_channel", "workspace_id", "channel_id"),
    )

    channel_id: Mapped[str] = mapped_column(String(32))
    journey_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID | None]
