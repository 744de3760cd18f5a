"""Who is sending: a write-scoped API token, given as Segment sends write keys (the HTTP Basic
user name, empty password) or as a Bearer token.

Pipelines send many batches a second with the same token, so a token once checked is trusted
for CACHE_SECONDS without asking the database again: revoking a token takes effect within that
time in every web process (unknown secrets are never cached)."""

import base64
import binascii
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from domain.auth import service as auth_service
from domain.vocabulary import TokenScope

CACHE_SECONDS = 5.0
CACHE_MAX = 1000


class Refused(Exception):
    """A request answered with `status` and, as Segment's API answers, a machine `code`."""

    def __init__(self, status: int, message: str, *, code: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


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


@dataclass(frozen=True, slots=True)
class Writer:
    workspace_id: uuid.UUID
    scope: TokenScope


class CheckedTokens:
    """Writers whose tokens were checked, each trusted for `ttl` seconds of `clock` (monotonic
    seconds; tests pass their own) after its check; at most `size` are kept (a full cache
    starts over)."""

    def __init__(
        self,
        *,
        ttl: float = CACHE_SECONDS,
        size: int = CACHE_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._checked: dict[str, tuple[float, Writer]] = {}  # secret → (checked at, writer)

    def get(self, secret: str, now: float) -> Writer | None:
        """The writer checked for `secret` less than `ttl` before `now`, if any."""
        entry = self._checked.get(secret)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        return None

    def keep(self, secret: str, writer: Writer, checked_at: float) -> None:
        if len(self._checked) >= self.size:
            self._checked.clear()
        self._checked[secret] = (checked_at, writer)

    def forget(self, secret: str) -> None:
        self._checked.pop(secret, None)


checked = CheckedTokens()  # one per process, shared by every request


async def _token(session: AsyncSession, secret: str) -> Writer | None:
    now = checked.clock()  # before asking: trust runs from the check, not from its answer
    cached = checked.get(secret, now)
    if cached is not None:
        return cached
    token = await auth_service.authenticate(session, secret=secret)
    if token is None:
        checked.forget(secret)
        return None
    found = Writer(token.workspace_id, token.scope)
    checked.keep(secret, found, now)
    return found


async def writer(session: AsyncSession, request: Request) -> Writer:
    """The token allowed to write events, or Refused (401 unknown, 403 read-only)."""
    secret = secret_of(request)
    token = await _token(session, secret) if secret else None
    if token is None:
        raise Refused(
            401,
            "Send a JourneyOps API token with write scope as the Basic user name (like a "
            "Segment write key) or as a Bearer token; create one with `journeyops token create "
            "--scope write`.",
            code="unauthorized",
        )
    if not token.scope.allows(TokenScope.WRITE):
        raise Refused(
            403,
            "This token can only read; events need a token with write scope.",
            code="forbidden",
        )
    return token
