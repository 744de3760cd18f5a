import strawberry

from domain.alert.evaluation import detectable_falls, small_stage_warnings
from domain.alert_rule import models as defaults
from domain.alert_rule import service as alert_rule_service
from domain.validation import UNSET
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.base import DeletePayload, in_transaction, write_mutation
from graphql_api.types.alert_rule import AlertRule


@strawberry.input(description="Only the journey is needed; every setting has a default.")
class CreateAlertRuleInput:
    journey_id: strawberry.ID
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: every stage of the journey but the last."
    )
    enabled: bool = True
    recent_days: int = defaults.DEFAULT_RECENT_DAYS
    baseline_days: int = defaults.DEFAULT_BASELINE_DAYS
    alert_window_hours: int | None = strawberry.field(
        default=None, description="Null: 7 days, or half the journey's conversion window."
    )
    min_change_points: float = defaults.DEFAULT_MIN_CHANGE_POINTS
    alpha: float = defaults.DEFAULT_ALPHA
    min_sample: int = defaults.DEFAULT_MIN_SAMPLE
    cooldown_hours: int | None = strawberry.field(
        default=None, description="Null: the recent window."
    )


@strawberry.input(description="Fields left out stay as they are; null resets one to its default.")
class UpdateAlertRuleInput:
    id: strawberry.ID
    enabled: bool | None = strawberry.UNSET
    recent_days: int | None = strawberry.UNSET
    baseline_days: int | None = strawberry.UNSET
    alert_window_hours: int | None = strawberry.UNSET
    min_change_points: float | None = strawberry.UNSET
    alpha: float | None = strawberry.UNSET
    min_sample: int | None = strawberry.UNSET
    cooldown_hours: int | None = strawberry.UNSET


@strawberry.input
class DeleteAlertRuleInput:
    id: strawberry.ID


@strawberry.type
class AlertRulePayload:
    alert_rule: AlertRule | None
    errors: list[UserError]
    warnings: list[str] = strawberry.field(
        default_factory=list,
        description="Said when a rule is created, which it still is: each watched stage too "
        "small to show a fall of 10 points now.",
    )


def _or_default(value, default):
    """Left out: leave as is; null: the default (None for settings that follow the journey)."""
    if value is strawberry.UNSET:
        return UNSET
    return default if value is None else value


@strawberry.type
class AlertRuleMutations:
    @write_mutation(description="Watch a journey's stage (or all of them) for drop-off.")
    async def create_alert_rule(self, info: Info, input: CreateAlertRuleInput) -> AlertRulePayload:
        runtime = info.context.runtime

        async def create(session, workspace_id):
            row = await alert_rule_service.create(
                session,
                workspace_id=workspace_id,
                journey_id=ids.decode(input.journey_id, "Journey", field="journeyId"),
                stage_id=ids.decode_optional(input.stage_id, "Stage", field="stageId"),
                enabled=input.enabled,
                recent_days=input.recent_days,
                baseline_days=input.baseline_days,
                alert_window_hours=input.alert_window_hours,
                min_change_points=input.min_change_points,
                alpha=input.alpha,
                min_sample=input.min_sample,
                cooldown_hours=input.cooldown_hours,
            )
            falls = await detectable_falls(
                session, rule=row, at=runtime.clock(), cohorts=runtime.cohorts
            )
            return row, small_stage_warnings(falls)

        created, errors = await in_transaction(info, create)
        if created is None:
            return AlertRulePayload(alert_rule=None, errors=errors)
        row, warnings = created
        return AlertRulePayload(alert_rule=AlertRule.from_row(row), errors=[], warnings=warnings)

    @write_mutation(description="Change a rule's settings.")
    async def update_alert_rule(self, info: Info, input: UpdateAlertRuleInput) -> AlertRulePayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: alert_rule_service.update(
                session,
                workspace_id=workspace_id,
                rule_id=ids.decode(input.id, "AlertRule", field="id"),
                enabled=_or_default(input.enabled, True),
                recent_days=_or_default(input.recent_days, defaults.DEFAULT_RECENT_DAYS),
                baseline_days=_or_default(input.baseline_days, defaults.DEFAULT_BASELINE_DAYS),
                alert_window_hours=_or_default(input.alert_window_hours, None),
                min_change_points=_or_default(
                    input.min_change_points, defaults.DEFAULT_MIN_CHANGE_POINTS
                ),
                alpha=_or_default(input.alpha, defaults.DEFAULT_ALPHA),
                min_sample=_or_default(input.min_sample, defaults.DEFAULT_MIN_SAMPLE),
                cooldown_hours=_or_default(input.cooldown_hours, None),
            ),
            id_field="ruleId",
        )
        return AlertRulePayload(alert_rule=AlertRule.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Delete a rule with its alerts and their history.")
    async def delete_alert_rule(self, info: Info, input: DeleteAlertRuleInput) -> DeletePayload:
        _, errors = await in_transaction(
            info,
            lambda session, workspace_id: alert_rule_service.delete(
                session,
                workspace_id=workspace_id,
                rule_id=ids.decode(input.id, "AlertRule", field="id"),
            ),
            id_field="ruleId",
        )
        return DeletePayload(deleted_id=None if errors else input.id, errors=errors)
