import uuid

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped

DEFAULT_CONVERSION_WINDOW_DAYS = 30


class Journey(WorkspaceScoped, Base):
    """The path one persona (or all customers) takes: an ordered list of stages."""

    __tablename__ = "journey"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        ForeignKeyConstraint(
            ["workspace_id", "persona_id"], ["persona.workspace_id", "persona.id"]
        ),
        CheckConstraint(
            "conversion_window_days BETWEEN 1 AND 365", name="conversion_window_days_range"
        ),
    )

    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    persona_id: Mapped[uuid.UUID | None]
    conversion_window_days: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_CONVERSION_WINDOW_DAYS
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
