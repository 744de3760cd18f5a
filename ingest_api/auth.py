"""Who is sending: a write-scoped API token, given as Segment sends write keys (the HTTP Basic
user name, empty password) or as a Bearer token."""

import base64
import binascii

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from domain.auth import service as auth_service
from domain.auth.models import ApiToken
from domain.vocabulary import TokenScope


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def secret_of(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            user, _, _ = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


async def writer(session: AsyncSession, request: Request) -> ApiToken:
    """The token allowed to write events, or Refused (401 unknown, 403 read-only)."""
    secret = secret_of(request)
    token = await auth_service.authenticate(session, secret=secret) if secret else None
    if token is None:
        raise Refused(
            401,
            "Send a JourneyOps API token with write scope as the Basic user name (like a "
            "Segment write key) or as a Bearer token; create one with `journeyops token create "
            "--scope write`.",
        )
    if not token.scope.allows(TokenScope.WRITE):
        raise Refused(403, "This token can only read; events need a token with write scope.")
    return token
