import uuid

from sqlalchemy import ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped


class Member(WorkspaceScoped, Base):
    """A staff member (by the user id their chat tool gives them) and the team they are on."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id"),
        ForeignKeyConstraint(
            ["workspace_id", "team_id"], ["team.workspace_id", "team.id"], ondelete="CASCADE"
        ),
    )

    user_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[uuid.UUID]
