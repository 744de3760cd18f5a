import uuid

from sqlalchemy import ForeignKeyConstraint, String, Text
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
    )

    journey_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID | None]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_team_id: Mapped[uuid.UUID | None]
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "action_status"), default=ActionStatus.OPEN
    )


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
