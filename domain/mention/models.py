import uuid

from sqlalchemy import ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped


class Mention(WorkspaceScoped, Base):
    """Someone saw the same as an observation says (a "+1"): the observation counts once, its
    mentions say how often and by how many teams the problem was raised.

    One per observation and person: a second +1 by the same person is the first one.
    """

    __tablename__ = "mention"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "observation_id"],
            ["observation.workspace_id", "observation.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["workspace_id", "author_team_id"], ["team.workspace_id", "team.id"]),
        UniqueConstraint("workspace_id", "observation_id", "author_id"),
    )

    observation_id: Mapped[uuid.UUID]
    author_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(120))
    author_team_id: Mapped[uuid.UUID | None]
