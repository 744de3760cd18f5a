"""Actions by people's words: where `/journey action … at <place>` creates one, and whose
actions `/journey actions [journey | team]` lists."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.action import views as action_views
from domain.action.views import ActionsByStatus, Draft
from domain.by_name import journey as journey_by_name
from domain.by_name import matching
from domain.by_name import stage as stage_by_name
from domain.by_name import team as team_by_name
from domain.errors import NotFound
from domain.lookup import find_by_name
from domain.member import service as member_service
from domain.team.models import Team


async def draft_at(session: AsyncSession, *, workspace_id: uuid.UUID, place: str | None) -> Draft:
    """The create form's defaults at the stage (or, failing that, the journey) `place` names,
    forgiving case and typos; with no place, the workspace's only journey."""
    if not (place or "").strip():
        journey = await journey_by_name.find(session, workspace_id=workspace_id, name=None)
        return await action_views.draft(session, workspace_id=workspace_id, journey_id=journey.id)
    assert place is not None
    try:
        stage = await stage_by_name.find(session, workspace_id=workspace_id, name=place)
    except matching.Unknown as unknown_stage:
        try:
            journey = await journey_by_name.find(session, workspace_id=workspace_id, name=place)
        except matching.Unknown:
            raise unknown_stage from None
        return await action_views.draft(session, workspace_id=workspace_id, journey_id=journey.id)
    return await action_views.draft(session, workspace_id=workspace_id, stage_id=stage.id)


@dataclass(frozen=True)
class NamedActions:
    of: str  # whose: "of Support", "in Online purchase", "in this workspace"
    actions: ActionsByStatus


async def listed(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    user_id: str,
    name: str | None,
    per_status: int = action_views.PER_STATUS_DEFAULT,
) -> NamedActions:
    """The actions `name` means: a team's (its exact name), else a journey's (forgiving),
    else a team's (forgiving). With no name, the asker's team's, or everyone's when they are on
    no team."""
    team: Team | None
    if not (name or "").strip():
        team = await member_service.team_of(session, workspace_id=workspace_id, user_id=user_id)
        if team is None:
            return NamedActions(
                "in this workspace",
                await action_views.by_status(
                    session, workspace_id=workspace_id, per_status=per_status
                ),
            )
    else:
        assert name is not None
        team = await find_by_name(session, Team, workspace_id=workspace_id, name=name)
        if team is None:
            try:
                journey = await journey_by_name.find(session, workspace_id=workspace_id, name=name)
            except NotFound as no_journey:
                try:
                    team = await team_by_name.find(session, workspace_id=workspace_id, name=name)
                except NotFound:
                    raise no_journey from None
            else:
                return NamedActions(
                    f"in {journey.name}",
                    await action_views.by_status(
                        session,
                        workspace_id=workspace_id,
                        journey_id=journey.id,
                        per_status=per_status,
                    ),
                )
    return NamedActions(
        f"of {team.name}",
        await action_views.by_status(
            session, workspace_id=workspace_id, team_id=team.id, per_status=per_status
        ),
    )
