"""Use cases that span concepts: logging as a staff member, the cross-team view of a stage."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.member import service as member_service
from domain.observation import service as observation_service
from domain.observation.models import Observation
from domain.team.models import Team
from domain.touchpoint import service as touchpoint_service
from domain.vocabulary import Emotion, ObservationKind, ObservationSource


async def log_as_member(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    author_id: str,
    author_name: str,
    text: str,
    kind: ObservationKind | str = ObservationKind.INSIGHT,
    touchpoint: str | uuid.UUID | None = None,
    stage_id: uuid.UUID | None = None,
    emotion: Emotion | str | None = None,
    sentiment: int | None = None,
    join_team_id: uuid.UUID | None = None,
    permalink: str | None = None,
    idempotency_key: str | None = None,
    source: ObservationSource = ObservationSource.SLACK,
) -> Observation:
    """Log what a staff member saw, carrying their team; the touchpoint may be named in words
    (forgiving lookup). `join_team_id` first puts them on that team."""
    if idempotency_key:
        earlier = await session.scalar(
            select(Observation).where(
                Observation.workspace_id == workspace_id,
                Observation.idempotency_key == idempotency_key,
            )
        )
        if earlier is not None:
            return earlier
    if join_team_id is not None:
        await member_service.join(
            session, workspace_id=workspace_id, user_id=author_id, team=join_team_id
        )
    team = await member_service.require_team(session, workspace_id=workspace_id, user_id=author_id)
    if isinstance(touchpoint, str):
        touchpoint = (
            await touchpoint_service.find(session, workspace_id=workspace_id, query=touchpoint)
        ).touchpoint.id
    return await observation_service.log(
        session,
        workspace_id=workspace_id,
        text=text,
        kind=kind,
        author_id=author_id,
        author_name=author_name,
        author_team_id=team.id,
        source=source,
        touchpoint_id=touchpoint,
        stage_id=stage_id,
        emotion=emotion,
        sentiment=sentiment,
        permalink=permalink,
        idempotency_key=idempotency_key,
    )


@dataclass(frozen=True)
class TeamView:
    """What one team (None: authors with no team) observed at a stage in the period."""

    team_name: str | None
    count: int
    latest: list[Observation]


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
    ranked = (
        select(
            Observation,
            func.row_number()
            .over(
                partition_by=Observation.author_team_id,
                order_by=(Observation.created_at.desc(), Observation.id.desc()),
            )
            .label("rank"),
            func.count().over(partition_by=Observation.author_team_id).label("total"),
        )
        .where(
            Observation.workspace_id == workspace_id,
            Observation.stage_id == stage_id,
            Observation.created_at >= since,
        )
        .subquery()
    )
    rows = await session.execute(
        select(Observation, ranked.c.total, Team.name)
        .join_from(
            ranked,
            Observation,
            (Observation.workspace_id == ranked.c.workspace_id) & (Observation.id == ranked.c.id),
        )
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
    return [TeamView(name, totals[name], observations) for name, observations in grouped.items()]
