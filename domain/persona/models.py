from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped


class Persona(WorkspaceScoped, Base):
    """A customer segment, e.g. "budget-conscious shopper"."""

    __tablename__ = "persona"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    needs: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
