"""`journeyMap`: one journey's map for a period, read by one use case (docs/journey_map.md)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from domain.alert.evaluation import detectable_falls
from domain.journey_map import picture
from domain.journey_map import service as map_service
from domain.metrics.trend import StageTrend
from domain.stage.models import Stage as StageRow
from graphql_api.context import Info
from graphql_api.errors import UserError, domain_errors_as_graphql_errors
from graphql_api.types.action import Action
from graphql_api.types.alert import Alert
from graphql_api.types.alert_rule import DetectableFall
from graphql_api.types.enums import Channel, Emotion, ObservationKind
from graphql_api.types.journey import Journey
from graphql_api.types.metrics import StageFigures
from graphql_api.types.observation import ObservationConnection
from graphql_api.types.persona import Persona
from graphql_api.types.stage import Stage
from graphql_api.types.touchpoint import Touchpoint


@strawberry.type(
    description="This period's figure minus the period before's; null when either is. Rates "
    "are fractions (0.05 is 5 percentage points), times in seconds."
)
class FiguresChange:
    entered: int
    converted: int | None
    dropped: int | None
    pending: int | None
    conversion_rate: float | None
    drop_off_rate: float | None
    median_time_to_convert: float | None
    p90_time_to_convert: float | None

    @classmethod
    def of(cls, trend: StageTrend) -> FiguresChange:
        return cls(**dataclasses.asdict(trend.change))


@strawberry.type(description="How many observations in the period recorded an emotion.")
class EmotionCount:
    emotion: Emotion
    observations: int


@strawberry.type(description="The emotions staff recorded at a stage in the period.")
class StageEmotions:
    counts: list[EmotionCount] = strawberry.field(description="Most recorded first.")
    recorded: int = strawberry.field(description="Observations that recorded an emotion.")
    sentiment: float | None = strawberry.field(
        description="Mean score of the emotions recorded, −2 to +2 (docs/journey_map.md); "
        "null when none was."
    )
    expected: Emotion | None = strawberry.field(description="The stage's expected emotion.")
    expected_score: float | None

    @classmethod
    def of(cls, emotions: map_service.StageEmotions) -> StageEmotions:
        return cls(
            counts=[EmotionCount(emotion=e, observations=n) for e, n in emotions.counts.items()],
            recorded=emotions.recorded,
            sentiment=emotions.sentiment,
            expected=emotions.expected,
            expected_score=emotions.expected_score,
        )


@strawberry.type(description="A touchpoint and the customers who first reached it in the period.")
class MapTouchpoint:
    touchpoint: Touchpoint
    reach: int | None = strawberry.field(
        description="Null when an entry channel is chosen and the touchpoint is of another."
    )


@strawberry.type(description="A stage's observations of one kind logged in the period.")
class ObservationGroup:
    kind: ObservationKind
    total: int
    observations: ObservationConnection = strawberry.field(
        description="The newest few; `observations(filter: {stageId, kind, since, until}, "
        "after: pageInfo.endCursor)` gives the rest."
    )


@strawberry.type(description="An action and how many observations it addresses.")
class MapAction:
    action: Action
    observation_count: int

    @classmethod
    def of(cls, action: map_service.MapAction) -> MapAction:
        return cls(action=Action.from_row(action.action), observation_count=action.observations)


@strawberry.type(description="One stage's column of the map.")
class MapStage:
    stage: Stage
    figures: StageFigures = strawberry.field(description="As `stageMetrics` gives them.")
    previous: StageFigures = strawberry.field(
        description="The period before, judged as of a period earlier."
    )
    change: FiguresChange
    touchpoints: list[MapTouchpoint]
    emotions: StageEmotions
    observations: list[ObservationGroup] = strawberry.field(
        description="By kind; kinds without observations in the period are left out."
    )
    alerts: list[Alert] = strawberry.field(description="Open and acknowledged, newest first.")
    actions: list[MapAction] = strawberry.field(
        description="By status (in progress, open, done, dropped), soonest due first, then "
        "oldest first."
    )
    row: strawberry.Private[StageRow]

    @strawberry.field(
        description="For each enabled alert rule watching the stage, the smallest fall in "
        "conversion it would fire on now, at the stage's volume. Read per rule: ask for it "
        "only where it is shown."
    )
    async def detectable_falls(self, info: Info) -> list[DetectableFall]:
        runtime = info.context.runtime
        rules = await info.context.loaders.alert_rules_by_journey.load(self.row.journey_id)
        falls = []
        with domain_errors_as_graphql_errors():
            async with runtime.transaction() as session:
                for rule in (r for r in rules if r.enabled):
                    falls += await detectable_falls(
                        session,
                        rule=rule.row,
                        at=runtime.clock(),
                        cohorts=runtime.cohorts,
                        stage_id=self.row.id,
                    )
        return [DetectableFall.of(fall) for fall in falls]

    @classmethod
    def of(cls, stage: map_service.MapStage) -> MapStage:
        return cls(
            row=stage.stage,
            stage=Stage.from_row(stage.stage),
            figures=StageFigures.from_domain(stage.trend.current),
            previous=StageFigures.from_domain(stage.trend.previous),
            change=FiguresChange.of(stage.trend),
            touchpoints=[
                MapTouchpoint(touchpoint=Touchpoint.from_row(t.touchpoint), reach=t.reach)
                for t in stage.touchpoints
            ],
            emotions=StageEmotions.of(stage.emotions),
            observations=[
                ObservationGroup(
                    kind=group.kind,
                    total=group.total,
                    observations=ObservationConnection.from_page(group.page, after=None),
                )
                for group in stage.observations
            ],
            alerts=[Alert.from_row(alert) for alert in stage.alerts],
            actions=[MapAction.of(action) for action in stage.actions],
        )


@strawberry.type(description="One journey's map for a period: stages as columns, lanes as rows.")
class JourneyMap:
    journey: Journey
    start: date = strawberry.field(name="from", description="First local day of the period.")
    end: date = strawberry.field(name="to", description="The day after its last.")
    previous_from: date
    previous_to: date
    as_of: datetime = strawberry.field(
        description="The period is judged as of then; the period before, a period earlier."
    )
    since: datetime = strawberry.field(description="The period's first instant (UTC).")
    until: datetime = strawberry.field(description="The instant it ends (UTC).")
    persona: Persona | None
    channel: Channel | None
    stages: list[MapStage]
    journey_actions: list[MapAction] = strawberry.field(
        description="Actions on the whole journey, on no stage."
    )
    picture: JSON = strawberry.field(
        description="The funnel and emotion curve as a Vega-Lite spec (width: container), the "
        "same one the PNG, SVG and PDF exports draw."
    )

    @classmethod
    def of(cls, journey_map: map_service.JourneyMap) -> JourneyMap:
        persona = journey_map.persona
        return cls(
            journey=Journey.from_row(journey_map.journey),
            start=journey_map.period.start,
            end=journey_map.period.end,
            previous_from=journey_map.previous.start,
            previous_to=journey_map.previous.end,
            as_of=journey_map.as_of,
            since=journey_map.since,
            until=journey_map.until,
            persona=Persona.from_row(persona) if persona else None,
            channel=journey_map.channel,
            stages=[MapStage.of(stage) for stage in journey_map.stages],
            journey_actions=[MapAction.of(a) for a in journey_map.journey_actions],
            picture=picture.spec(journey_map, width="container"),
        )


@strawberry.type(description="A journey map, or why there is none (errors as data).")
class JourneyMapResult:
    map: JourneyMap | None
    errors: list[UserError]


PeriodStart = Annotated[date | None, strawberry.argument(name="from")]
