import re
import uuid

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.action.models import Action
from domain.errors import ValidationError
from domain.lookup import ensure_name_free, get_in_workspace
from domain.observation.models import Observation
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint
from domain.validation import UNSET, Unset, required_text

SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,20}$")


def parse_slack_channel_id(value: str | None) -> str | None:
    channel = (value or "").strip().upper()
    if not channel:
        return None
    if not SLACK_CHANNEL_ID.match(channel):
        raise ValidationError(
            f"“{value}” is not a Slack channel id. Use the id (like C0123ABCD) from the "
            "channel's details, not its name.",
            field="slackChannelId",
        )
    return channel


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    return await get_in_workspace(
        session, Team, workspace_id=workspace_id, id=team_id, field="teamId", label="team"
    )


async def list_all(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Team]:
    return list(
        await session.scalars(
            select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name)
        )
    )


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    slack_channel_id: str | None = None,
) -> Team:
    """Create a team, optionally with the Slack channel its alerts and digests go to."""
    name = required_text(name, field="name", label="Team name")
    await ensure_name_free(session, Team, workspace_id=workspace_id, name=name, label="team")
    team = Team(
        workspace_id=workspace_id,
        name=name,
        slack_channel_id=parse_slack_channel_id(slack_channel_id),
    )
    session.add(team)
    await session.flush()
    return team


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    team_id: uuid.UUID,
    name: str | Unset = UNSET,
    slack_channel_id: str | None | Unset = UNSET,
) -> Team:
    team = await get(session, workspace_id=workspace_id, team_id=team_id)
    if not isinstance(name, Unset):
        name = required_text(name, field="name", label="Team name")
        await ensure_name_free(
            session,
            Team,
            workspace_id=workspace_id,
            name=name,
            label="team",
            exclude=team.id,
        )
        team.name = name
    if not isinstance(slack_channel_id, Unset):
        team.slack_channel_id = parse_slack_channel_id(slack_channel_id)
    await session.flush()
    return team


async def delete(session: AsyncSession, *, workspace_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """Delete a team; what it owned (touchpoints, actions) and authored stays, unowned."""
    team = await get(session, workspace_id=workspace_id, team_id=team_id)
    for model, column in (
        (Touchpoint, Touchpoint.owner_team_id),
        (Action, Action.owner_team_id),
        (Observation, Observation.author_team_id),
    ):
        await session.execute(
            sa.update(model)
            .where(model.workspace_id == workspace_id, column == team.id)
            .values({column.key: None})
        )
    await session.delete(team)
    await session.flush()
