import strawberry

from domain.action import service as action_service
from domain.validation import UNSET
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
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
    title: str
    description: str = ""
    stage_id: strawberry.ID | None = None
    owner_team_id: strawberry.ID | None = None
    observation_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Observations of the same journey it addresses."
    )


@strawberry.input
class UpdateActionInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: ActionStatus | None = strawberry.UNSET
    stage_id: strawberry.ID | None = strawberry.UNSET
    owner_team_id: strawberry.ID | None = strawberry.UNSET
    observation_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the linked observations."
    )


@strawberry.input
class DeleteActionInput:
    id: strawberry.ID


@strawberry.type
class ActionPayload:
    action: Action | None
    errors: list[UserError]


@strawberry.type
class ActionMutations:
    @write_mutation(description="Record an improvement a team owns.")
    async def create_action(self, info: Info, input: CreateActionInput) -> ActionPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: action_service.create(
                session,
                workspace_id=workspace_id,
                journey_id=ids.decode(input.journey_id, "Journey", field="journeyId"),
                title=input.title,
                description=input.description,
                stage_id=ids.decode_optional(input.stage_id, "Stage", field="stageId"),
                owner_team_id=ids.decode_optional(input.owner_team_id, "Team", field="ownerTeamId"),
                observation_ids=ids.decode_many(
                    input.observation_ids, "Observation", field="observationIds"
                ),
            ),
        )
        return ActionPayload(action=Action.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Edit an action or move it along (open → in progress → done).")
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
