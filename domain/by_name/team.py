"""Teams by name: the team a staff member says they are on."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import matching
from domain.member import service as member_service
from domain.team import service as team_service
from domain.team.models import Team
from domain.validation import required_text


async def find(session: AsyncSession, *, workspace_id: uuid.UUID, name: str) -> Team:
    """The team `name` means, forgiving case and small typos (Ambiguous / Unknown otherwise)."""
    required_text(name, field="team", label="Team name")
    return matching.one(
        name,
        await team_service.list_all(session, workspace_id=workspace_id),
        lambda team: [team.name],
        label="team",
        field="team",
        describe=lambda team: team.name,
    )


async def join(session: AsyncSession, *, workspace_id: uuid.UUID, user_id: str, team: str) -> Team:
    """Put a staff member on the team `team` names (forgiving case and typos)."""
    chosen = await find(session, workspace_id=workspace_id, name=team)
    return await member_service.join(
        session, workspace_id=workspace_id, user_id=user_id, team_id=chosen.id
    )
