from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from domain.alert.evaluation import StageDetectableFall, detectable_falls
from domain.alert_rule import service as rule_service
from domain.alert_rule.models import AlertRule as AlertRuleRow
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors
from graphql_api.types.relations import JourneyRef, StageRef, loaded


@strawberry.type(
    description="The smallest fall in conversion a rule would fire on at one stage now, with "
    "the customers of the windows it judges (docs/alerts.md, “What a stage can show”)."
)
class DetectableFall:
    stage_id: strawberry.Private[uuid.UUID]
    points: float | None = strawberry.field(
        description="In percentage points; null: it cannot judge yet, or cannot show any fall "
        "at this volume (`reason` says which)."
    )
    reason: str

    stage: StageRef = loaded("stage", "stage_id")

    @classmethod
    def of(cls, stage: StageDetectableFall) -> DetectableFall:
        return cls(stage_id=stage.stage_id, points=stage.fall.points, reason=stage.fall.reason)


@strawberry.type(
    description="When to alert on a journey's stage, or on every stage of it but the last. "
    "Settings left unset follow the defaults; the `effective…` fields say what it uses."
)
class AlertRule(relay.Node):
    id: relay.NodeID[uuid.UUID]
    enabled: bool
    recent_days: int = strawberry.field(
        description="Days of the latest matured cohorts that are judged."
    )
    baseline_days: int = strawberry.field(
        description="Days of cohorts before the recent ones that they are judged against."
    )
    alert_window_hours: int | None = strawberry.field(
        description="Conversion is counted within this long of entering the stage; null: "
        "7 days, or half the journey's conversion window if that is shorter."
    )
    min_change_points: float = strawberry.field(
        description="The smallest fall of conversion, in percentage points, that fires."
    )
    alpha: float = strawberry.field(
        description="The one-sided p-value below which a fall counts as more than chance."
    )
    min_sample: int = strawberry.field(
        description="Customers needed on each side (recent, baseline) to judge at all."
    )
    cooldown_hours: int | None = strawberry.field(
        description="After a resolution, no new alert at the stage for this long; null: the "
        "recent window."
    )
    created_at: datetime
    journey_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID | None]
    row: strawberry.Private[AlertRuleRow]

    journey: JourneyRef = loaded("journey", "journey_id")
    stage: StageRef | None = loaded(
        "stage", "stage_id", description="The stage it watches; null: all but the last."
    )

    @classmethod
    def from_row(cls, row: AlertRuleRow) -> AlertRule:
        return cls(
            id=row.id,
            enabled=row.enabled,
            recent_days=row.recent_days,
            baseline_days=row.baseline_days,
            alert_window_hours=row.alert_window_hours,
            min_change_points=row.min_change_points,
            alpha=row.alpha,
            min_sample=row.min_sample,
            cooldown_hours=row.cooldown_hours,
            created_at=row.created_at,
            journey_id=row.journey_id,
            stage_id=row.stage_id,
            row=row,
        )

    @strawberry.field(description="The alert window it evaluates with, given its journey now.")
    async def effective_alert_window_hours(self, info: Info) -> int:
        journey = await info.context.loaders.journey.load(self.journey_id)
        assert journey is not None  # a rule is deleted with its journey
        return rule_service.alert_window_hours(
            self.row, conversion_window_days=journey.conversion_window_days
        )

    @strawberry.field(description="The cooldown it evaluates with.")
    def effective_cooldown_hours(self) -> int:
        return rule_service.cooldown_hours(self.row)

    @strawberry.field(description="The stages it evaluates, in order.")
    async def stages_watched(self, info: Info) -> list[StageRef]:
        stages = await info.context.loaders.stages_by_journey.load(self.journey_id)
        return rule_service.watched(stages, stage_id=self.stage_id)

    @strawberry.field(
        description="For each stage it watches, in order, the smallest fall it would fire on "
        "now, at the stage's volume."
    )
    async def detectable_falls(self, info: Info) -> list[DetectableFall]:
        runtime = info.context.runtime
        with domain_errors_as_graphql_errors():
            async with runtime.transaction() as session:
                falls = await detectable_falls(
                    session, rule=self.row, at=runtime.clock(), cohorts=runtime.cohorts
                )
        return [DetectableFall.of(fall) for fall in falls]
