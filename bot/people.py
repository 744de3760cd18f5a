"""The name colleagues know a person by in Slack, from `users.info` (scope `users:read`).

Payloads carry only the legacy handle (`dana`); observations and alert actions should show the
person's display name (`Dana S.`), else their real name. Names are remembered in this process
for an hour per (Slack team, user), so a burst of clicks costs one lookup and a renamed person
shows up renamed within the hour; each process keeps its own. The lookup never holds up or
fails what the person is doing: it is cut off after a second (a modal submission must be
answered within Slack's three), and on any failure (rate limit, `user_not_found`, Slack
unreachable) the handle stands in, remembered for a minute so a rate limit is not hammered.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.send import safely

NAME_TTL_SECONDS = 3600.0
FALLBACK_TTL_SECONDS = 60.0
LOOKUP_SECONDS = 1.0
NAMES_MAX = 10_000


def display_name(user: dict[str, Any]) -> str | None:
    """The name Slack shows for a user object: the display name, else the real name."""
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name")):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


@dataclass
class Names:
    """Display names by (Slack team, user id), each trusted for `ttl` seconds of `clock`
    (monotonic seconds; tests pass their own)."""

    ttl: float = NAME_TTL_SECONDS
    fallback_ttl: float = FALLBACK_TTL_SECONDS
    timeout: float = LOOKUP_SECONDS
    size: int = NAMES_MAX
    clock: Callable[[], float] = time.monotonic
    _known: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)

    async def of(self, client: AsyncWebClient, *, team_id: str, user_id: str, handle: str) -> str:
        """The person's display name; their handle when Slack cannot say in time."""
        key = (team_id, user_id)
        known = self._known.get(key)
        if known and known[1] > self.clock():
            return known[0]
        found = None
        if user_id:
            lookup = asyncio.wait_for(client.users_info(user=user_id), self.timeout)
            found = await safely(lookup, "users.info")
        name = display_name(found.get("user") or {}) if found else None
        self._remember(key, name or handle, self.ttl if found else self.fallback_ttl)
        return name or handle

    def _remember(self, key: tuple[str, str], name: str, ttl: float) -> None:
        self._known.pop(key, None)
        if len(self._known) >= self.size:
            del self._known[next(iter(self._known))]  # the longest remembered
        self._known[key] = (name, self.clock() + ttl)
