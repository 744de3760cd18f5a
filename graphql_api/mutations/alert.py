"""Acting on alerts, as people do with the buttons in Slack. The actor recorded (activity log,
acknowledged/resolved by, the Slack message) is the API token: it is all this API can vouch
for, so frontends acting for a person should get a token named after their tool."""

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from domain.alert import service as alert_service
from domain.alert.models import Alert as AlertRow
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.base import in_transaction, write_mutation
from graphql_api.types.alert import Alert


@strawberry.input
class AcknowledgeAlertInput:
    id: strawberry.ID


@strawberry.input
class AssignAlertInput:
    id: strawberry.ID
    assignee_slack_user_id: str = strawberry.field(description="e.g. U024BE7LH")
    assignee_name: str


@strawberry.input
class MuteAlertInput:
    id: strawberry.ID
    hours: int = strawberry.field(
        default=alert_service.MUTE_HOURS_DEFAULT,
        description="How long: 1 hour up to 30 days (720 hours).",
    )


@strawberry.input
class ResolveAlertInput:
    id: strawberry.ID


@strawberry.type
class AlertPayload:
    alert: Alert | None
    errors: list[UserError]


def actor(info: Info) -> dict[str, str]:
    viewer = info.context.viewer
    assert viewer is not None  # CanWrite let us in
    return {"actor_id": viewer.actor_id, "actor_name": viewer.actor_name}


async def _act(
    info: Info,
    alert_id: strawberry.ID,
    use_case: Callable[..., Awaitable[AlertRow]],
    arguments: dict[str, Any] | None = None,
) -> AlertPayload:
    """Run `use_case` on the alert as the token; the use case checks `arguments`, so bad ones
    end up in the payload's errors."""
    row, errors = await in_transaction(
        info,
        lambda session, workspace_id: use_case(
            session,
            workspace_id=workspace_id,
            alert_id=ids.decode(alert_id, "Alert", field="id"),
            **actor(info),
            **(arguments or {}),
        ),
        id_field="alertId",
    )
    return AlertPayload(alert=Alert.from_row(row) if row else None, errors=errors)


@strawberry.type
class AlertMutations:
    @write_mutation(description="Say someone is on it; repeating it changes nothing.")
    async def acknowledge_alert(self, info: Info, input: AcknowledgeAlertInput) -> AlertPayload:
        return await _act(info, input.id, alert_service.acknowledge)

    @write_mutation(
        description="Give the alert to someone in Slack; an open one is thereby acknowledged too."
    )
    async def assign_alert(self, info: Info, input: AssignAlertInput) -> AlertPayload:
        return await _act(
            info,
            input.id,
            alert_service.assign,
            {"assignee_id": input.assignee_slack_user_id, "assignee_name": input.assignee_name},
        )

    @write_mutation(
        description="No new alert of this rule at this stage for `hours`, even after a "
        "resolution; muting again replaces the time."
    )
    async def mute_alert(self, info: Info, input: MuteAlertInput) -> AlertPayload:
        return await _act(info, input.id, alert_service.mute, {"hours": input.hours})

    @write_mutation(
        description="Close the alert; the cooldown starts now. Repeating it changes nothing."
    )
    async def resolve_alert(self, info: Info, input: ResolveAlertInput) -> AlertPayload:
        return await _act(info, input.id, alert_service.resolve)
