"""Observations seen across teams: a stage as each team saw it (`/journey stage`), a member's
recent view (App Home), a stage's overview."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.by_name import stage as stage_by_name
from domain.by_name.stage import StagePlace
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.member import service as member_service
from domain.mention import service as mention_service
from domain.mention.service import Raised
from domain.observation import service as observation_service
from domain.observation.member_logging import placed
from domain.observation.models import Observation
from domain.stage.models import Stage
from domain.team.models import Team


@dataclass(frozen=True)
class TeamView:
    """What one team (None: authors with no team) observed at a stage in the period."""

    team_name: str | None
    count: int
    latest: list[Observation]
    # How often each of the latest was raised (its author and their +1s), by observation id.
    raised: dict[uuid.UUID, Raised] = field(default_factory=dict)


async def stage_by_team(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    stage_id: uuid.UUID,
    days: int = 30,
    per_team: int = 3,
    now: datetime | None = None,
) -> list[TeamView]:
    """The cross-team view of a stage: per team, how much it observed lately and the latest."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    ranked = observation_service.newest_per_group(
        Observation.author_team_id,
        Observation.workspace_id == workspace_id,
        Observation.stage_id == stage_id,
        Observation.created_at >= since,
    )
    observation = aliased(Observation, ranked)
    rows = await session.execute(
        select(observation, ranked.c.total, Team.name)
        .outerjoin(
            Team,
            (Team.workspace_id == ranked.c.workspace_id) & (Team.id == ranked.c.author_team_id),
        )
        .where(ranked.c.rank <= per_team)
        .order_by(ranked.c.total.desc(), Team.name, ranked.c.rank)
    )
    grouped: dict[str | None, list[Observation]] = defaultdict(list)
    totals: dict[str | None, int] = {}
    for observation, total, team_name in rows:
        grouped[team_name].append(observation)
        totals[team_name] = total
    raised = await mention_service.raised(
        session,
        workspace_id=workspace_id,
        observation_ids=[o.id for latest in grouped.values() for o in latest],
    )
    return [
        TeamView(name, totals[name], latest, {o.id: raised[o.id] for o in latest})
        for name, latest in grouped.items()
    ]


@dataclass(frozen=True)
class RecentObservation:
    observation: Observation
    team_name: str | None
    where: str  # "Journey › stage"


@dataclass(frozen=True)
class StaffOverview:
    """A staff member's start page: their team's journeys and what all teams saw lately."""

    team: Team | None
    journeys: list[Journey]
    recent: list[RecentObservation]


async def staff_overview(
    session: AsyncSession, *, workspace_id: uuid.UUID, user_id: str, recent: int = 10
) -> StaffOverview:
    """The journeys whose touchpoints the member's team owns, and the latest observations."""
    team = await member_service.team_of(session, workspace_id=workspace_id, user_id=user_id)
    journeys = (
        await journey_service.list_for_team(session, workspace_id=workspace_id, team_id=team.id)
        if team
        else []
    )
    rows = await session.execute(
        placed(Observation, Team.name, Journey.name, Stage.name)
        .where(Observation.workspace_id == workspace_id)
        .order_by(Observation.created_at.desc(), Observation.id.desc())
        .limit(recent)
    )
    return StaffOverview(
        team=team,
        journeys=journeys,
        recent=[
            RecentObservation(observation, team_name, f"{journey_name} › {stage_name}")
            for observation, team_name, journey_name, stage_name in rows
        ],
    )


@dataclass(frozen=True)
class StageOverview:
    place: StagePlace
    teams: list[TeamView]
    days: int


async def stage_overview(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    stage: str | uuid.UUID,
    days: int = 30,
) -> StageOverview:
    """The stage named (forgiving lookup) or with that id, and what each team saw there."""
    place = await stage_by_name.find(session, workspace_id=workspace_id, name=stage)
    teams = await stage_by_team(session, workspace_id=workspace_id, stage_id=place.id, days=days)
    return StageOverview(place=place, teams=teams, days=days)
