"""Signing in to the journey map without pasting a token: a personal one-time link.

Someone who asks their chat tool for a map gets a link holding a **link secret**: 32 random
bytes, stored only as a SHA-256 hash, good for one exchange within `LINK_LIFETIME`. The page
exchanges it at once for a **map session**: another random secret, stored hashed, good for
`SESSION_LIFETIME`, that the page sends as a bearer token. A link that leaks later (browser
history, a screenshot, a forwarded message) is spent or expired by then; a session secret never
appears in an address.

What a session may do (`scope_for`): staff who said which team they are on (a member: what
logging observations needs anyway) may edit the map, with write scope; anyone else may only
read it. A map session never gets admin scope and never ingests events: it is for the map.
"""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.auth.models import MapSignIn
from domain.auth.service import hash_token
from domain.errors import DomainError, ErrorCode
from domain.member import service as member_service
from domain.validation import required_text
from domain.vocabulary import TokenScope

LINK_PREFIX = "jol_"
SESSION_PREFIX = "jos_"
# Long enough to click a link just asked for, short enough that a forwarded one is stale.
LINK_LIFETIME = timedelta(minutes=15)
# A working session on the map; after it the page asks for a new link.
SESSION_LIFETIME = timedelta(hours=8)
# Rows this long past their last use are deleted when the workspace issues its next link.
KEPT_AFTER_EXPIRY = timedelta(days=1)
ASK_AGAIN = "Type `/journey map` in Slack for a new link."


class Refusal(StrEnum):
    """Why a link was not exchanged."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


REFUSALS = {
    Refusal.UNKNOWN: "This sign-in link is not one JourneyOps gave out (it may have been cut "
    "short when it was copied).",
    Refusal.USED: "This sign-in link has been used already: each link signs in once.",
    Refusal.EXPIRED: "This sign-in link has expired: links work for "
    f"{int(LINK_LIFETIME.total_seconds() // 60)} minutes.",
}


class LinkRefused(DomainError):
    """A link that is forged, spent or too old; the message says what to do instead."""

    code = ErrorCode.FORBIDDEN

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"{REFUSALS[refusal]} {ASK_AGAIN}", field="link")
        self.refusal = refusal


@dataclass(frozen=True)
class IssuedLink:
    """A link's secret (shown once, to its person only), until when it works, and what the
    session it opens may do."""

    secret: str
    expires_at: datetime
    scope: TokenScope


@dataclass(frozen=True)
class MapSession:
    """What an exchanged link hands the page: its bearer secret, until when, and may it edit."""

    secret: str
    expires_at: datetime
    scope: TokenScope
    person_name: str


async def scope_for(
    session: AsyncSession, *, workspace_id: uuid.UUID, person_id: str
) -> TokenScope:
    """Members of a team may edit the map; everyone else may read it."""
    team = await member_service.team_of(session, workspace_id=workspace_id, user_id=person_id)
    return TokenScope.READ if team is None else TokenScope.WRITE


async def issue(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    person_id: str,
    person_name: str,
    now: datetime,
    valid_for: timedelta = LINK_LIFETIME,
) -> IssuedLink:
    """A new link that signs `person_id` in to the workspace's map once."""
    await session.execute(
        delete(MapSignIn).where(
            MapSignIn.workspace_id == workspace_id,
            func.coalesce(MapSignIn.session_expires_at, MapSignIn.link_expires_at)
            < now - KEPT_AFTER_EXPIRY,
        )
    )
    person_id = required_text(person_id, field="personId", label="Person", max_length=64)
    secret = LINK_PREFIX + secrets.token_urlsafe(32)
    sign_in = MapSignIn(
        workspace_id=workspace_id,
        person_id=person_id,
        person_name=required_text(person_name, field="personName", label="Name", max_length=200),
        scope=await scope_for(session, workspace_id=workspace_id, person_id=person_id),
        link_hash=hash_token(secret),
        link_expires_at=now + valid_for,
    )
    session.add(sign_in)
    await session.flush()
    return IssuedLink(secret, sign_in.link_expires_at, sign_in.scope)


async def exchange(session: AsyncSession, *, link: str, now: datetime) -> MapSession:
    """The map session a link opens, once; a forged, used or expired link is refused."""
    sign_in = await session.scalar(
        select(MapSignIn).where(MapSignIn.link_hash == hash_token(link)).with_for_update()
    )
    if not link.startswith(LINK_PREFIX) or sign_in is None:
        raise LinkRefused(Refusal.UNKNOWN)
    if sign_in.used_at is not None:
        raise LinkRefused(Refusal.USED)
    if now >= sign_in.link_expires_at:
        raise LinkRefused(Refusal.EXPIRED)
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    sign_in.used_at = now
    sign_in.session_hash = hash_token(secret)
    sign_in.session_expires_at = now + SESSION_LIFETIME
    await session.flush()
    return MapSession(secret, sign_in.session_expires_at, sign_in.scope, sign_in.person_name)


async def authenticate(session: AsyncSession, *, secret: str, now: datetime) -> MapSignIn | None:
    """The sign-in whose live map session this secret is, or None."""
    if not secret.startswith(SESSION_PREFIX):
        return None
    return await session.scalar(
        select(MapSignIn).where(
            MapSignIn.session_hash == hash_token(secret), MapSignIn.session_expires_at > now
        )
    )
