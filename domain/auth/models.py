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


class MapSignIn(WorkspaceScoped, Base):
    """A personal link into the journey map, and the map session it was exchanged for.

    Both secrets are stored only as SHA-256 hashes. The link works once, until
    `link_expires_at`; exchanging it sets `used_at` and the session's hash and expiry.
    """

    __tablename__ = "map_sign_in"

    person_id: Mapped[str] = mapped_column(String(64))  # the chat user id it signs in
    person_name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope, "token_scope"))
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    session_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_expires_at: Mapped[datetime | None] = mapped_column()
