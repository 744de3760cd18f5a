"""Hands every listener what it needs: which workspace, and who is asking.

The Slack team is mapped to a JourneyOps workspace here (linked on first contact, see
domain.workspace.service.for_chat_team) and the mapping is remembered for a few minutes, so
that acknowledging a request within Slack's 3 seconds costs no database round trip.
Listeners read `context["who"]`; `await who.name()` is the person's display name (bot.people).
"""

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.people import Names
from bot.text import escape
from domain.errors import DomainError
from domain.workspace import service as workspace_service
from infrastructure.runtime import Runtime

# How long a Slack team → workspace mapping is trusted; `journeyops slack-link` on another
# process takes effect after this.
LINK_TTL_SECONDS = 300.0
# Events about the installation itself: nobody is asking, and a team that just left must not
# be linked to a workspace (or given one).
INSTALLATION_EVENTS = {"app_uninstalled", "tokens_revoked"}


@dataclass(frozen=True)
class Who:
    """The person behind a request, in the workspace their Slack team maps to."""

    runtime: Runtime
    workspace_id: uuid.UUID
    chat_team_id: str
    user_id: str
    handle: str  # the legacy Slack username in the payload; `name()` is what people read
    client: AsyncWebClient
    names: Names

    async def name(self) -> str:
        """The person's display name in Slack (their handle when Slack cannot say)."""
        return await self.names.of(
            self.client, team_id=self.chat_team_id, user_id=self.user_id, handle=self.handle
        )


def who(context: AsyncBoltContext) -> Who:
    return context["who"]


def _handle(body: dict[str, Any]) -> str:
    user = body.get("user") or {}
    if not isinstance(user, dict):  # events carry the user id as a string
        user = {"id": user}
    name = body.get("user_name") or user.get("name") or user.get("username")
    return name or body.get("user_id") or user.get("id") or "someone"


def _team_name(body: dict[str, Any]) -> str:
    team = body.get("team")
    return body.get("team_domain") or (team.get("domain") if isinstance(team, dict) else "") or ""


def workspace_middleware(runtime: Runtime, *, one_workspace_per_team: bool) -> Callable:
    linked: dict[str, tuple[uuid.UUID, float]] = {}
    names = Names()

    async def workspace_of(chat_team_id: str, body: dict[str, Any]) -> uuid.UUID:
        known = linked.get(chat_team_id)
        if known and known[1] > time.monotonic():
            return known[0]
        async with runtime.transaction() as session:
            workspace = await workspace_service.for_chat_team(
                session,
                chat_team_id=chat_team_id,
                chat_team_name=_team_name(body),
                one_per_team=one_workspace_per_team,
            )
        linked[chat_team_id] = (workspace.id, time.monotonic() + LINK_TTL_SECONDS)
        return workspace.id

    async def resolve(
        context: AsyncBoltContext, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        if (body.get("event") or {}).get("type") in INSTALLATION_EVENTS:
            await next()
            return None
        chat_team_id = context.team_id or context.enterprise_id
        if not chat_team_id:
            return BoltResponse(status=400, body="This request names no Slack workspace.")
        try:
            workspace_id = await workspace_of(chat_team_id, body)
        except DomainError as error:
            # Shown to the person who typed the command; events simply go unanswered.
            return BoltResponse(status=200, body=escape(error.message))
        context["who"] = Who(
            runtime=runtime,
            workspace_id=workspace_id,
            chat_team_id=chat_team_id,
            user_id=context.user_id or "",
            handle=_handle(body),
            client=context.client,
            names=names,
        )
        await next()
        return None

    return resolve
