import uuid

from sqlalchemy import (
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped, enum_column
from domain.vocabulary import Emotion


class Stage(WorkspaceScoped, Base):
    """One ordered step of a journey (awareness, consideration, decision…)."""

    __tablename__ = "stage"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint(
            "workspace_id", "journey_id", "position", deferrable=True, initially="DEFERRED"
        ),
        UniqueConstraint("workspace_id", "journey_id", "name"),
    )

    journey_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    customer_goal: Mapped[str] = mapped_column(Text, default="")
    expected_emotion: Mapped[Emotion | None] = mapped_column(enum_column(Emotion, "emotion"))
