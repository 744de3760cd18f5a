from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped, enum_column
from domain.vocabulary import TokenScope


class ApiToken(WorkspaceScoped, Base):
    """A bearer token for the GraphQL and ingestion APIs; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope, "token_scope"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
