"""Actions over GraphQL: the same use cases as Slack's modal and buttons. Who created or
moved an action (its activity, its message in Slack) is the API token, as for alerts."""

from datetime import date

import strawberry

from domain.action import lifecycle
from domain.action import service as action_service
from domain.validation import UNSET, client_idempotency_key
from domain.vocabulary import ActionStatus as Status
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.alert import actor
from graphql_api.mutations.base import (
    DeletePayload,
    given,
    given_id,
    in_transaction,
    write_mutation,
)
from graphql_api.types.action import Action
from graphql_api.types.enums import ActionStatus


@strawberry.input
class CreateActionInput:
    journey_id: strawberry.ID
    title: str = strawberry.field(description="Required, at most 200 characters.")
    description: str = ""
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Left out: the alert's stage, or none (the whole journey)."
    )
    owner_team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Left out: the team owning the stage's touchpoints; null: no team.",
    )
    observation_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Observations of the same journey it addresses."
    )
    due_on: date | None = strawberry.field(
        default=None, description="Today or later, in the journey's time zone."
    )
    alert_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The alert it is created from (of the same journey); marking the action "
        "done resolves it.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any 1–100 visible ASCII characters (a UUID, say). Sent again with a "
        "retry, it returns the action the first request created and creates nothing.",
    )


@strawberry.input
class UpdateActionInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: ActionStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="Moves it as startAction, finishAction and dropAction do, by the same rules.",
    )
    stage_id: strawberry.ID | None = strawberry.UNSET
    owner_team_id: strawberry.ID | None = strawberry.UNSET
    observation_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the linked observations."
    )
    due_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Today or later; null clears it."
    )


@strawberry.input
class DeleteActionInput:
    id: strawberry.ID


@strawberry.input
class StartActionInput:
    id: strawberry.ID


@strawberry.input
class FinishActionInput:
    id: strawberry.ID


@strawberry.input
class DropActionInput:
    id: strawberry.ID


@strawberry.type
class ActionPayload:
    action: Action | None
    errors: list[UserError]


@strawberry.type
class ActionMutations:
    @write_mutation(
        description="Record an improvement a team owns; it is posted to the owning team's "
        "Slack channel."
    )
    async def create_action(self, info: Info, input: CreateActionInput) -> ActionPayload:
        by = actor(info)
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: action_service.create(
                session,
                workspace_id=workspace_id,
                journey_id=ids.decode(input.journey_id, "Journey", field="journeyId"),
                title=input.title,
                description=input.description,
                stage_id=ids.decode_optional(input.stage_id, "Stage", field="stageId"),
                owner_team_id=given_id(input.owner_team_id, "Team", field="ownerTeamId"),
                observation_ids=ids.decode_many(
                    input.observation_ids, "Observation", field="observationIds"
                ),
                due_on=input.due_on,
                alert_id=ids.decode_optional(input.alert_id, "Alert", field="alertId"),
                created_by_id=by["actor_id"],
                created_by_name=by["actor_name"],
                idempotency_key=client_idempotency_key(input.idempotency_key),
            ),
        )
        return ActionPayload(action=Action.from_row(row) if row else None, errors=errors)

    @write_mutation(
        description="Start work on an open action (→ in progress). Repeating it changes nothing."
    )
    async def start_action(self, info: Info, input: StartActionInput) -> ActionPayload:
        return await _move(info, input.id, Status.IN_PROGRESS)

    @write_mutation(
        description="Mark it done (final): resolves the alert it came from, tells the people "
        "who raised what it addresses, and starts measuring its outcome. Repeating it changes "
        "nothing."
    )
    async def finish_action(self, info: Info, input: FinishActionInput) -> ActionPayload:
        return await _move(info, input.id, Status.DONE)

    @write_mutation(
        description="Give it up (final), from open or in progress. Repeating it changes nothing."
    )
    async def drop_action(self, info: Info, input: DropActionInput) -> ActionPayload:
        return await _move(info, input.id, Status.DROPPED)

    @write_mutation(
        description="Edit an action; a status moves it by the rules of startAction, "
        "finishAction and dropAction."
    )
    async def update_action(self, info: Info, input: UpdateActionInput) -> ActionPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: action_service.update(
                session,
                workspace_id=workspace_id,
                action_id=ids.decode(input.id, "Action", field="id"),
                title=given(input.title),
                description=given(input.description),
                status=given(input.status),
                stage_id=given_id(input.stage_id, "Stage", field="stageId"),
                owner_team_id=given_id(input.owner_team_id, "Team", field="ownerTeamId"),
                observation_ids=(
                    UNSET
                    if input.observation_ids is strawberry.UNSET
                    else ids.decode_many(
                        input.observation_ids or [], "Observation", field="observationIds"
                    )
                ),
                due_on=given(input.due_on),
                **actor(info),
            ),
            id_field="actionId",
        )
        return ActionPayload(action=Action.from_row(row) if row else None, errors=errors)

    @write_mutation
    async def delete_action(self, info: Info, input: DeleteActionInput) -> DeletePayload:
        _, errors = await in_transaction(
            info,
            lambda session, workspace_id: action_service.delete(
                session,
                workspace_id=workspace_id,
                action_id=ids.decode(input.id, "Action", field="id"),
            ),
            id_field="actionId",
        )
        return DeletePayload(deleted_id=None if errors else input.id, errors=errors)


async def _move(info: Info, action_id: strawberry.ID, to: Status) -> ActionPayload:
    row, errors = await in_transaction(
        info,
        lambda session, workspace_id: lifecycle.move(
            session,
            workspace_id=workspace_id,
            action_id=ids.decode(action_id, "Action", field="id"),
            to=to,
            **actor(info),
        ),
        id_field="actionId",
    )
    return ActionPayload(action=Action.from_row(row) if row else None, errors=errors)
