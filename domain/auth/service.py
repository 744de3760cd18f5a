"""API tokens: created once (the secret is shown only then), stored as a SHA-256 hash.

Tokens are 32 random bytes, so a fast hash is enough: there is nothing to brute-force.
"""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.auth.models import ApiToken
from domain.errors import NotFound
from domain.validation import one_of, required_text
from domain.vocabulary import TokenScope
from domain.workspace import service as workspace_service

TOKEN_PREFIX = "jo_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    session: AsyncSession, *, workspace_name: str, scope: TokenScope | str, name: str = "api"
) -> tuple[ApiToken, str]:
    """A new token for the workspace called `workspace_name` (created if new), and its secret."""
    scope = one_of(TokenScope, scope, field="scope", label="Scope")
    workspace, _ = await workspace_service.get_or_create(session, name=workspace_name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        workspace_id=workspace.id,
        name=required_text(name, field="name", label="Token name"),
        scope=scope,
        token_hash=hash_token(secret),
    )
    session.add(token)
    await session.flush()
    return token, secret


async def authenticate(session: AsyncSession, *, secret: str) -> ApiToken | None:
    """The live token whose secret this is, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    return await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)
        )
    )


async def revoke(session: AsyncSession, *, workspace_id: uuid.UUID, token_id: uuid.UUID) -> None:
    token = await session.get(ApiToken, (workspace_id, token_id))
    if token is None:
        raise NotFound("That token does not exist.", field="tokenId")
    token.revoked_at = datetime.now(UTC)


async def revoke_named(session: AsyncSession, *, workspace_id: uuid.UUID, name: str) -> int:
    """Revoke every live token of the workspace called `name`; how many there were."""
    tokens = await session.scalars(
        select(ApiToken).where(
            ApiToken.workspace_id == workspace_id,
            ApiToken.name == name,
            ApiToken.revoked_at.is_(None),
        )
    )
    revoked = 0
    for token in tokens:
        token.revoked_at = datetime.now(UTC)
        revoked += 1
    return revoked
