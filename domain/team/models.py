from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped


class Team(WorkspaceScoped, Base):
    """Sales, support, product, marketing…: the Slack channel its alerts and digests go to."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(80))
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
