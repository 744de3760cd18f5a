"""Hands every listener what it needs: which workspace, who is asking and their team.

The Slack team is mapped to a JourneyOps workspace here (linked on first contact, see
domain.workspace.service.for_chat_team); listeners read `context["who"]`.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.context.async_context import AsyncBoltContext

from domain.errors import DomainError
from domain.member import service as member_service
from domain.team.models import Team
from domain.workspace import service as workspace_service
from journeyops.runtime import Runtime


@dataclass(frozen=True)
class Who:
    """The person behind a request, in the workspace their Slack team maps to."""

    runtime: Runtime
    workspace_id: uuid.UUID
    user_id: str
    user_name: str
    team: Team | None


def who(context: AsyncBoltContext) -> Who:
    return context["who"]


def _user_name(body: dict[str, Any]) -> str:
    user = body.get("user") or {}
    return (
        (body.get("user_name") or user.get("name") or user.get("username") or body.get("user_id"))
        or user.get("id")
        or "someone"
    )


def _team_name(body: dict[str, Any]) -> str:
    team = body.get("team") or {}
    return body.get("team_domain") or (team.get("domain") if isinstance(team, dict) else "") or ""


def workspace_middleware(runtime: Runtime, *, one_workspace_per_team: bool) -> Callable:
    async def resolve(
        context: AsyncBoltContext, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        chat_team_id = context.team_id or context.enterprise_id
        if not chat_team_id:
            return BoltResponse(status=400, body="This request names no Slack workspace.")
        try:
            async with runtime.db.begin() as session:
                workspace = await workspace_service.for_chat_team(
                    session,
                    chat_team_id=chat_team_id,
                    chat_team_name=_team_name(body),
                    one_per_team=one_workspace_per_team,
                )
                team = (
                    await member_service.team_of(
                        session, workspace_id=workspace.id, user_id=context.user_id
                    )
                    if context.user_id
                    else None
                )
        except DomainError as error:
            # Shown to the person who typed the command; events simply go unanswered.
            return BoltResponse(status=200, body=error.message)
        context["who"] = Who(
            runtime=runtime,
            workspace_id=workspace.id,
            user_id=context.user_id or "",
            user_name=_user_name(body),
            team=team,
        )
        await next()
        return None

    return resolve
