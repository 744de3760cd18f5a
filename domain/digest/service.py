"""The weekly team digest: how the stages of a team's journeys moved, what the other teams
saw at the touchpoints it owns, and the team's actions by status (those done or dropped since
the week began, and every one still open or in progress).

A digest reports one full week, Monday to Sunday (UTC), against the week before. Each week is
claimed per team (a unique row) in the transaction that writes its message to the outbox, so
however many workers run or restart, a team hears about a week once.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.action import views as action_views
from domain.action.views import ActionsByStatus
from domain.digest.models import TeamDigest
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.mention import service as mention_service
from domain.mention.service import Raised
from domain.metrics.trend import StageTrend, against_the_period_before
from domain.observation.models import Observation
from domain.stage.models import Stage
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint
from domain.vocabulary import ObservationKind

JOURNEYS_MAX = 10  # each costs two metric queries; a team owning more sees the first ten
OBSERVATIONS_MAX = 50  # more would not fit one message; the rest are counted
ACTIONS_PER_STATUS = 10


def week_reported(now: datetime) -> date:
    """The Monday of the last full week (UTC) before `now`."""
    today = now.astimezone(UTC).date()
    return today - timedelta(days=today.weekday() + 7)


@dataclass(frozen=True)
class JourneyMovement:
    journey: Journey
    stages: list[StageTrend]  # every stage in order: this week against the week before
    owned_stage_ids: frozenset[uuid.UUID]  # stages where the team owns touchpoints


@dataclass(frozen=True)
class SeenElsewhere:
    """An observation another team (or someone on no team) logged at a touchpoint we own."""

    team_name: str | None
    author_name: str
    kind: ObservationKind
    text: str
    journey_name: str
    stage_name: str
    touchpoint_name: str
    created_at: datetime
    raised: Raised | None = None  # how often its problem was raised (its author and +1s)


@dataclass(frozen=True)
class WeeklyDigest:
    team: Team
    week_start: date
    journeys: list[JourneyMovement]
    journeys_total: int
    observations: list[SeenElsewhere]  # newest first, at most OBSERVATIONS_MAX
    observations_total: int
    actions: ActionsByStatus | None = None

    @property
    def is_empty(self) -> bool:
        no_actions = self.actions is None or self.actions.is_empty
        return not self.journeys_total and not self.observations_total and no_actions


async def teams_due(session: AsyncSession, *, week_start: date) -> list[Team]:
    """Teams with a Slack channel that have not had the digest of this week."""
    sent = select(TeamDigest.team_id).where(
        TeamDigest.workspace_id == Team.workspace_id,
        TeamDigest.team_id == Team.id,
        TeamDigest.week_start == week_start,
    )
    return list(
        await session.scalars(
            select(Team)
            .where(Team.slack_channel_id.is_not(None), ~sent.exists())
            .order_by(Team.workspace_id, Team.name)
        )
    )


async def claim(session: AsyncSession, *, team: Team, week_start: date) -> TeamDigest | None:
    """Take the team's week for this transaction; None when it is taken already (a concurrent
    claim waits for the other transaction and then gets None if that one committed)."""
    digest_id = await session.scalar(
        insert(TeamDigest)
        .values(
            workspace_id=team.workspace_id,
            id=uuid.uuid4(),
            team_id=team.id,
            week_start=week_start,
            blocks=[],
        )
        .on_conflict_do_nothing()
        .returning(TeamDigest.id)
    )
    if digest_id is None:
        return None
    return await session.get(TeamDigest, (team.workspace_id, digest_id))


async def _movements(
    session: AsyncSession, *, team: Team, week_start: date, now: datetime
) -> tuple[list[JourneyMovement], int]:
    journeys = await journey_service.list_for_team(
        session, workspace_id=team.workspace_id, team_id=team.id
    )
    owned = set(
        await session.scalars(
            select(Touchpoint.stage_id).where(
                Touchpoint.workspace_id == team.workspace_id, Touchpoint.owner_team_id == team.id
            )
        )
    )
    movements = []
    for journey in journeys[:JOURNEYS_MAX]:
        # The week before is judged as of a week earlier: both had the same time to convert.
        current, previous = await against_the_period_before(
            session,
            workspace_id=team.workspace_id,
            journey_id=journey.id,
            start=week_start,
            end=week_start + timedelta(days=7),
            as_of=now,
            with_reach=False,
        )
        trends = [StageTrend(c, p) for c, p in zip(current.stages, previous.stages, strict=True)]
        movements.append(
            JourneyMovement(journey, trends, frozenset(t.current.stage_id for t in trends) & owned)
        )
    return movements, len(journeys)


async def _seen_elsewhere(
    session: AsyncSession, *, team: Team, week_start: date
) -> tuple[list[SeenElsewhere], int]:
    low = datetime.combine(week_start, time(), UTC)
    where = (
        Observation.workspace_id == team.workspace_id,
        Observation.created_at >= low,
        Observation.created_at < low + timedelta(days=7),
        Touchpoint.owner_team_id == team.id,
        Observation.author_team_id.is_distinct_from(team.id),
    )
    on_touchpoint = (Touchpoint.workspace_id == Observation.workspace_id) & (
        Touchpoint.id == Observation.touchpoint_id
    )
    total = await session.scalar(
        select(func.count()).select_from(Observation).join(Touchpoint, on_touchpoint).where(*where)
    )
    rows = await session.execute(
        select(Observation, Touchpoint.name, Stage.name, Journey.name, Team.name)
        .join(Touchpoint, on_touchpoint)
        .join(
            Stage,
            (Stage.workspace_id == Observation.workspace_id) & (Stage.id == Observation.stage_id),
        )
        .join(
            Journey,
            (Journey.workspace_id == Observation.workspace_id)
            & (Journey.id == Observation.journey_id),
        )
        .outerjoin(
            Team,
            (Team.workspace_id == Observation.workspace_id)
            & (Team.id == Observation.author_team_id),
        )
        .where(*where)
        .order_by(Observation.created_at.desc(), Observation.id)
        .limit(OBSERVATIONS_MAX)
    )
    found = list(rows)
    raised = await mention_service.raised(
        session, workspace_id=team.workspace_id, observation_ids=[row[0].id for row in found]
    )
    seen = [
        SeenElsewhere(
            team_name=team_name,
            author_name=observation.author_name,
            kind=observation.kind,
            text=observation.text,
            journey_name=journey_name,
            stage_name=stage_name,
            touchpoint_name=touchpoint_name,
            created_at=observation.created_at,
            raised=raised.get(observation.id),
        )
        for observation, touchpoint_name, stage_name, journey_name, team_name in found
    ]
    return seen, total or 0


async def gather(
    session: AsyncSession, *, team: Team, week_start: date, now: datetime
) -> WeeklyDigest:
    """What the team's digest for the week starting `week_start` says, as of `now`."""
    journeys, journeys_total = await _movements(session, team=team, week_start=week_start, now=now)
    seen, seen_total = await _seen_elsewhere(session, team=team, week_start=week_start)
    actions = await action_views.by_status(
        session,
        workspace_id=team.workspace_id,
        team_id=team.id,
        finished_since=datetime.combine(week_start, time(), UTC),
        per_status=ACTIONS_PER_STATUS,
    )
    return WeeklyDigest(team, week_start, journeys, journeys_total, seen, seen_total, actions)


async def record(
    session: AsyncSession,
    *,
    digest: TeamDigest,
    notification_id: uuid.UUID | None,
    blocks: list[dict[str, Any]],
) -> None:
    """Keep the message the digest went out as (delivery posts these blocks)."""
    digest.notification_id = notification_id
    digest.blocks = blocks
    await session.flush()


async def blocks_of(
    session: AsyncSession, *, workspace_id: uuid.UUID, notification_id: uuid.UUID
) -> list[dict[str, Any]] | None:
    """The Block Kit blocks of the digest a notification posts."""
    return await session.scalar(
        select(TeamDigest.blocks).where(
            TeamDigest.workspace_id == workspace_id,
            TeamDigest.notification_id == notification_id,
        )
    )
