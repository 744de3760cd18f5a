"""What a bearer secret stands for, whichever kind it is: an API token (`jo_…`) or a map
session opened by a personal link (`jos_…`, domain.auth.map_links). GraphQL and the map's
exports take either; event ingestion takes API tokens only."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.auth import map_links
from domain.auth import service as auth_service
from domain.vocabulary import TokenScope


@dataclass(frozen=True)
class Credential:
    workspace_id: uuid.UUID
    id: uuid.UUID
    name: str  # the API token's name, or the name of the person a map session signed in
    scope: TokenScope
    person_id: str | None = None  # the chat user a map session acts as; None for API tokens


async def authenticate(session: AsyncSession, *, secret: str, now: datetime) -> Credential | None:
    """The live credential whose secret this is, or None."""
    token = await auth_service.authenticate(session, secret=secret)
    if token is not None:
        return Credential(token.workspace_id, token.id, token.name, token.scope)
    sign_in = await map_links.authenticate(session, secret=secret, now=now)
    if sign_in is not None:
        return Credential(
            sign_in.workspace_id,
            sign_in.id,
            sign_in.person_name,
            sign_in.scope,
            person_id=sign_in.person_id,
        )
    return None
