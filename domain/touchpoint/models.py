import uuid

from sqlalchemy import (
    ForeignKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped, enum_column
from domain.vocabulary import Channel


class Touchpoint(WorkspaceScoped, Base):
    """One interaction inside a stage, and the event names that mean a customer reached it."""

    __tablename__ = "touchpoint"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"]),
        ForeignKeyConstraint(["workspace_id", "owner_team_id"], ["team.workspace_id", "team.id"]),
        UniqueConstraint("workspace_id", "journey_id", "key"),
    )

    journey_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID]
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    owner_team_id: Mapped[uuid.UUID | None]
    event_names: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
