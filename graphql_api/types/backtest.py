from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.alert.evaluation import BacktestEvent
from graphql_api.errors import UserError
from graphql_api.types.alert import AlertDriver, ConversionFigures
from graphql_api.types.alert_rule import AlertRule
from graphql_api.types.enums import AlertStep
from graphql_api.types.relations import StageRef, loaded


@strawberry.type(description="One time a replayed rule would have fired or resolved itself.")
class AlertBacktestEvent:
    at: datetime = strawberry.field(description="When the daily evaluation ran (06:00 local).")
    step: AlertStep
    reason: str
    baseline: ConversionFigures
    recent: ConversionFigures
    change_points: float
    p_value: float | None = strawberry.field(description="Null when too few customers to test.")
    driver: AlertDriver | None
    stage_id: strawberry.Private[uuid.UUID]

    stage: StageRef = loaded("stage", "stage_id")

    @classmethod
    def of(cls, event: BacktestEvent) -> AlertBacktestEvent:
        evaluation = event.decision.evaluation
        comparison, windows = evaluation.comparison, evaluation.windows
        return cls(
            at=event.at,
            step=event.decision.step,
            reason=event.decision.reason,
            baseline=ConversionFigures.of(windows.baseline, comparison.baseline),
            recent=ConversionFigures.of(windows.recent, comparison.recent),
            change_points=comparison.change_points,
            p_value=comparison.p_value,
            driver=AlertDriver.of(evaluation.driver),
            stage_id=event.stage_id,
        )


@strawberry.type(description="A rule replayed daily over past cohorts; nothing is written.")
class AlertRuleBacktest:
    rule: AlertRule | None
    events: list[AlertBacktestEvent] = strawberry.field(
        description="Each time it would have fired or resolved itself, in time order."
    )
    errors: list[UserError]
