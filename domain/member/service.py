import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ErrorCode, ValidationError
from domain.member.models import Member
from domain.team import service as team_service
from domain.team.models import Team
from domain.validation import required_text


async def team_of(session: AsyncSession, *, workspace_id: uuid.UUID, user_id: str) -> Team | None:
    """The team this staff member is on, or None before they said."""
    return await session.scalar(
        select(Team)
        .join(Member, (Member.workspace_id == Team.workspace_id) & (Member.team_id == Team.id))
        .where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    )


async def join(
    session: AsyncSession, *, workspace_id: uuid.UUID, user_id: str, team_id: uuid.UUID
) -> Team:
    """Put a staff member on a team (by name: `domain.by_name.team.join`)."""
    user_id = required_text(user_id, field="userId", label="User id", max_length=64)
    chosen = await team_service.get(session, workspace_id=workspace_id, team_id=team_id)
    member = await session.scalar(
        select(Member).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    )
    if member is None:
        session.add(Member(workspace_id=workspace_id, user_id=user_id, team_id=chosen.id))
    else:
        member.team_id = chosen.id
    await session.flush()
    return chosen


async def require_team(session: AsyncSession, *, workspace_id: uuid.UUID, user_id: str) -> Team:
    """The member's team; without one, an error that names the teams to choose from."""
    team = await team_of(session, workspace_id=workspace_id, user_id=user_id)
    if team is not None:
        return team
    names = [t.name for t in await team_service.list_all(session, workspace_id=workspace_id)]
    choices = f" Teams: {', '.join(names)}." if names else " No team exists yet; create one first."
    raise ValidationError(
        "Say which team you are on first (observations carry it): `/journey team <name>`."
        + choices,
        field="team",
        code=ErrorCode.REQUIRED,
    )


async def team_choices(
    session: AsyncSession, *, workspace_id: uuid.UUID, user_id: str
) -> list[Team] | None:
    """None when the member is on a team already; otherwise the teams to choose from."""
    if await team_of(session, workspace_id=workspace_id, user_id=user_id) is not None:
        return None
    return await team_service.list_all(session, workspace_id=workspace_id)
