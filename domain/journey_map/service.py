"""The journey map's data in one use case: for one journey, a period and optionally a persona
and entry channel, every stage with its funnel figures against the period before, its
touchpoints and their reach, the emotions staff recorded, the newest observations of each
kind, open alerts and actions (docs/journey_map.md).

It is read with a fixed number of statements whatever the journey's size: the stage metrics
twice (this period and the one before, in one snapshot on a connection of its own) and,
meanwhile on the session's, one statement each for the stages, touchpoints, emotions,
observations, alerts, actions and the observations they address, of the whole journey.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.action import service as action_service
from domain.action.models import Action
from domain.action.views import STATUS_ORDER
from domain.alert import service as alert_service
from domain.alert.models import Alert
from domain.errors import ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.journey_map import emotions
from domain.metrics import trend
from domain.metrics.figures import StageFigures
from domain.metrics.periods import period as utc_period
from domain.metrics.trend import StageTrend
from domain.observation import service as observation_service
from domain.persona import service as persona_service
from domain.persona.models import Persona
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.touchpoint import service as touchpoint_service
from domain.touchpoint.models import Touchpoint
from domain.validation import in_range, one_of
from domain.vocabulary import Channel, Emotion, ObservationKind

A = TypeVar("A")
B = TypeVar("B")

DAYS_DEFAULT = 30
DAYS_MAX = 366
OBSERVATIONS_PER_KIND_DEFAULT = 3
OBSERVATIONS_PER_KIND_MAX = 20


@dataclass(frozen=True, slots=True)
class Period:
    """Local days [start, end) in the journey's time zone."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def before(self) -> "Period":
        """The period of the same length that ends where this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start)


@dataclass(frozen=True, slots=True)
class MapTouchpoint:
    touchpoint: Touchpoint
    reach: int | None  # customers who first reached it in the period; None: not in the channel


@dataclass(frozen=True, slots=True)
class StageEmotions:
    counts: dict[Emotion, int]  # most recorded first; only emotions someone recorded
    sentiment: float | None  # emotions.sentiment of the counts; None: none recorded
    expected: Emotion | None
    expected_score: float | None

    @property
    def recorded(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ObservationGroup:
    kind: ObservationKind
    page: observation_service.ObservationPage  # the newest few; `search` after it: the rest
    total: int


@dataclass(frozen=True, slots=True)
class MapAction:
    action: Action
    observations: int  # how many observations it addresses


@dataclass(frozen=True, slots=True)
class MapStage:
    stage: Stage
    trend: StageTrend  # this period's figures and the period before's
    touchpoints: list[MapTouchpoint]
    emotions: StageEmotions
    observations: list[ObservationGroup]  # in ObservationKind's order; kinds with none left out
    alerts: list[Alert]  # open or acknowledged, newest first
    actions: list[MapAction]  # by status (in progress, open, done, dropped), soonest due first

    @property
    def figures(self) -> StageFigures:
        return self.trend.current


@dataclass(frozen=True, slots=True)
class JourneyMap:
    journey: Journey
    period: Period
    previous: Period
    as_of: datetime  # this period is judged as of then; the one before, a period earlier
    since: datetime  # the period as UTC instants: which observations and emotions count
    until: datetime
    persona: Persona | None
    channel: Channel | None
    stages: list[MapStage]
    journey_actions: list[MapAction]  # actions on the whole journey, no stage


def period_days(days: int | None) -> int:
    """The number of days asked for (default DAYS_DEFAULT), checked."""
    return in_range(
        DAYS_DEFAULT if days is None else days,
        field="days",
        label="The period (days)",
        low=1,
        high=DAYS_MAX,
    )


def choose_period(
    *,
    timezone: str,
    now: datetime,
    days: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The last `days` local days, today included; or [start, end) when both are given."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValidationError(
                "Give both ends of the period (from and to), or a number of days.",
                field="from" if start is None else "to",
                code=ErrorCode.REQUIRED,
            )
        return Period(start, end)
    days = period_days(days)
    last = now.astimezone(ZoneInfo(timezone)).date()
    return Period(last + timedelta(days=1 - days), last + timedelta(days=1))


async def journey_map(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    days: int | None = None,
    start: date | None = None,
    end: date | None = None,
    persona_id: uuid.UUID | None = None,
    channel: Channel | str | None = None,
    observations_per_kind: int = OBSERVATIONS_PER_KIND_DEFAULT,
    now: datetime | None = None,
) -> JourneyMap:
    """The map of one journey for a period (the last `days`, default 30, or [start, end)),
    optionally for one persona (as of now) and entry channel."""
    in_range(
        observations_per_kind,
        field="observationsPerKind",
        label="Observations shown per kind",
        low=1,
        high=OBSERVATIONS_PER_KIND_MAX,
    )
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    persona = None
    if persona_id is not None:
        persona = await persona_service.get(
            session, workspace_id=workspace_id, persona_id=persona_id
        )
    wanted = one_of(Channel, channel, field="channel", label="Channel") if channel else None
    now = now or datetime.now(UTC)
    period = choose_period(timezone=journey.timezone, now=now, days=days, start=start, end=end)
    since, until = utc_period(period.start, period.end, journey.timezone)
    (current, previous), parts = await _both(
        trend.against_the_period_before(
            session,
            workspace_id=workspace_id,
            journey_id=journey.id,
            start=period.start,
            end=period.end,
            as_of=now,
            persona_id=persona_id,
            channel=wanted,
        ),
        _stage_parts(session, journey, since, until, observations_per_kind, persona_id),
    )
    reach = {r.touchpoint_id: r.customers for r in current.reach}
    before = {figures.stage_id: figures for figures in previous.stages}
    rows = {stage.id: stage for stage in parts.stages}
    stages = [
        MapStage(
            stage=rows[figures.stage_id],
            trend=StageTrend(figures, before[figures.stage_id]),
            touchpoints=[
                MapTouchpoint(t, reach.get(t.id)) for t in parts.touchpoints(figures.stage_id)
            ],
            emotions=parts.emotions(rows[figures.stage_id]),
            observations=parts.observations(figures.stage_id),
            alerts=[a for a in parts.alerts if a.stage_id == figures.stage_id],
            actions=parts.actions(figures.stage_id),
        )
        for figures in current.stages
        # A stage added or removed between the statements is left out until the next read.
        if figures.stage_id in rows and figures.stage_id in before
    ]
    return JourneyMap(
        journey=journey,
        period=period,
        previous=period.before(),
        as_of=now,
        since=since,
        until=until,
        persona=persona,
        channel=wanted,
        stages=stages,
        journey_actions=parts.actions(None),
    )


async def _both(figures: Coroutine[Any, Any, A], parts: Coroutine[Any, Any, B]) -> tuple[A, B]:
    """The figures (read on a connection of their own, domain.metrics.snapshot) and the rest
    of the map (on the session's) read at the same time; when the figures fail, the other
    read is cancelled and waited for, so that the session is free for its rollback."""
    task = asyncio.create_task(parts)
    try:
        first = await figures
    except BaseException:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise
    return first, await task


@dataclass(frozen=True, slots=True)
class _Parts:
    """Everything on the map besides the figures, each read once for the whole journey."""

    stages: list[Stage]
    all_touchpoints: list[Touchpoint]
    emotion_counts: dict[uuid.UUID, dict[Emotion, int]]
    pages: dict[tuple[uuid.UUID, ObservationKind], observation_service.GroupPage]
    alerts: list[Alert]
    all_actions: list[Action]
    linked: dict[uuid.UUID, list[uuid.UUID]]

    def touchpoints(self, stage_id: uuid.UUID) -> list[Touchpoint]:
        return [t for t in self.all_touchpoints if t.stage_id == stage_id]

    def emotions(self, stage: Stage) -> StageEmotions:
        counts = self.emotion_counts.get(stage.id, {})
        ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].value)))
        return StageEmotions(
            counts=ordered,
            sentiment=emotions.sentiment(ordered),
            expected=stage.expected_emotion,
            expected_score=emotions.score(stage.expected_emotion),
        )

    def observations(self, stage_id: uuid.UUID) -> list[ObservationGroup]:
        groups = []
        for kind in ObservationKind:
            found = self.pages.get((stage_id, kind))
            if found is not None:
                groups.append(ObservationGroup(kind, found.page, found.total))
        return groups

    def actions(self, stage_id: uuid.UUID | None) -> list[MapAction]:
        """The stage's actions by status (in progress, open, done, dropped), soonest due
        first, then oldest first."""
        here = [a for a in self.all_actions if a.stage_id == stage_id]
        here.sort(key=lambda a: (STATUS_ORDER.index(a.status), a.due_on or date.max))
        return [MapAction(a, len(self.linked.get(a.id, []))) for a in here]


async def _stage_parts(
    session: AsyncSession,
    journey: Journey,
    since: datetime,
    until: datetime,
    observations_per_kind: int,
    persona_id: uuid.UUID | None,
) -> _Parts:
    workspace_id = journey.workspace_id
    stages = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey.id
    )
    touchpoints = await touchpoint_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey.id
    )
    emotion_counts = await observation_service.emotions_by_stage(
        session,
        workspace_id=workspace_id,
        journey_id=journey.id,
        since=since,
        until=until,
        persona_id=persona_id,
    )
    pages = await observation_service.first_pages_by_stage_and_kind(
        session,
        workspace_id=workspace_id,
        journey_id=journey.id,
        since=since,
        until=until,
        first=observations_per_kind,
    )
    alerts = await alert_service.unresolved_for_journeys(
        session, workspace_id=workspace_id, journey_ids=[journey.id]
    )
    actions = await action_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey.id
    )
    linked = await action_service.observation_ids_for_actions(
        session, workspace_id=workspace_id, action_ids=[a.id for a in actions]
    )
    return _Parts(
        stages,
        touchpoints,
        emotion_counts,
        pages,
        alerts[journey.id],
        actions,
        linked,
    )
