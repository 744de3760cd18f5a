"""The journey map in brief, stage by stage: what `/journey map` and digests show."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.metrics.stage_metrics import stage_metrics
from domain.observation.models import Observation
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.team import service as team_service
from domain.touchpoint import service as touchpoint_service
from domain.vocabulary import Emotion, ObservationKind

PAIN_POINTS_PER_STAGE = 3


@dataclass(frozen=True)
class TouchpointLine:
    name: str
    key: str
    owner_team: str | None


@dataclass(frozen=True)
class StageSummary:
    stage: Stage
    touchpoints: list[TouchpointLine]
    pain_points: list[Observation]
    emotions: list[tuple[Emotion, int]]  # most reported first
    observation_count: int
    entered: int  # customers who entered the stage in the period
    conversion_rate: float | None  # of them, converted so far (None: nobody entered, last stage)


@dataclass(frozen=True)
class JourneyMap:
    journey: Journey
    stages: list[StageSummary]
    days: int


async def summarise(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    days: int = 90,
    now: datetime | None = None,
) -> JourneyMap:
    """Per stage: touchpoints with owner teams, the latest pain points, the emotions staff
    reported and the customers' conversion, over the last `days` days."""
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    stages = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey_id
    )
    touchpoints = await touchpoint_service.list_for_stages(
        session, workspace_id=workspace_id, stage_ids=[s.id for s in stages]
    )
    teams = {t.id: t.name for t in await team_service.list_all(session, workspace_id=workspace_id)}
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    end = now.astimezone(ZoneInfo(journey.timezone)).date() + timedelta(days=1)
    metrics = await stage_metrics(
        session,
        workspace_id=workspace_id,
        journey_id=journey_id,
        start=end - timedelta(days=days),
        end=end,
        as_of=now,
    )
    figures = {f.stage_id: f for f in metrics.stages}
    observations = await session.scalars(
        select(Observation)
        .where(
            Observation.workspace_id == workspace_id,
            Observation.journey_id == journey_id,
            Observation.created_at >= since,
        )
        .order_by(Observation.created_at.desc())
    )
    by_stage: dict[uuid.UUID, list[Observation]] = {s.id: [] for s in stages}
    for observation in observations:
        by_stage.setdefault(observation.stage_id, []).append(observation)
    summaries = []
    for stage in stages:
        seen = by_stage[stage.id]
        summaries.append(
            StageSummary(
                stage=stage,
                touchpoints=[
                    TouchpointLine(
                        t.name, t.key, teams.get(t.owner_team_id) if t.owner_team_id else None
                    )
                    for t in touchpoints[stage.id]
                ],
                pain_points=[o for o in seen if o.kind == ObservationKind.PAIN_POINT][
                    :PAIN_POINTS_PER_STAGE
                ],
                emotions=Counter(o.emotion for o in seen if o.emotion).most_common(),
                observation_count=len(seen),
                entered=figures[stage.id].entered if stage.id in figures else 0,
                conversion_rate=figures[stage.id].conversion_rate if stage.id in figures else None,
            )
        )
    return JourneyMap(journey=journey, stages=summaries, days=days)
