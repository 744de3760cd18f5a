import strawberry

from domain.touchpoint import service as touchpoint_service
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
from graphql_api.types.enums import Channel
from graphql_api.types.touchpoint import Touchpoint


@strawberry.input
class AddTouchpointInput:
    stage_id: strawberry.ID
    name: str
    channel: Channel
    key: str | None = strawberry.field(
        default=None, description="Unique in the journey; default: made from the name."
    )
    owner_team_id: strawberry.ID | None = None
    event_names: list[str] = strawberry.field(
        default_factory=list, description="Event names that mean a customer reached it."
    )


@strawberry.input
class UpdateTouchpointInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    key: str | None = strawberry.UNSET
    channel: Channel | None = strawberry.UNSET
    owner_team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null: no owning team."
    )
    event_names: list[str] | None = strawberry.UNSET
    stage_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Move it to another stage of its journey (its observations follow).",
    )


@strawberry.input
class DeleteTouchpointInput:
    id: strawberry.ID


@strawberry.type
class TouchpointPayload:
    touchpoint: Touchpoint | None
    errors: list[UserError]


@strawberry.type
class TouchpointMutations:
    @write_mutation(description="Add a touchpoint to a stage.")
    async def add_touchpoint(self, info: Info, input: AddTouchpointInput) -> TouchpointPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: touchpoint_service.add(
                session,
                workspace_id=workspace_id,
                stage_id=ids.decode(input.stage_id, "Stage", field="stageId"),
                name=input.name,
                channel=input.channel,
                key=input.key,
                owner_team_id=ids.decode_optional(input.owner_team_id, "Team", field="ownerTeamId"),
                event_names=input.event_names,
            ),
        )
        return TouchpointPayload(
            touchpoint=Touchpoint.from_row(row) if row else None, errors=errors
        )

    @write_mutation(description="Edit a touchpoint or move it to another stage.")
    async def update_touchpoint(
        self, info: Info, input: UpdateTouchpointInput
    ) -> TouchpointPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: touchpoint_service.update(
                session,
                workspace_id=workspace_id,
                touchpoint_id=ids.decode(input.id, "Touchpoint", field="id"),
                name=given(input.name),
                key=given(input.key),
                channel=given(input.channel),
                owner_team_id=given_id(input.owner_team_id, "Team", field="ownerTeamId"),
                event_names=given(input.event_names),
                stage_id=given_id(input.stage_id, "Stage", field="stageId"),
            ),
            id_field="touchpointId",
        )
        return TouchpointPayload(
            touchpoint=Touchpoint.from_row(row) if row else None, errors=errors
        )

    @write_mutation(description="Delete a touchpoint; its observations stay on its stage.")
    async def delete_touchpoint(self, info: Info, input: DeleteTouchpointInput) -> DeletePayload:
        _, errors = await in_transaction(
            info,
            lambda session, workspace_id: touchpoint_service.delete(
                session,
                workspace_id=workspace_id,
                touchpoint_id=ids.decode(input.id, "Touchpoint", field="id"),
            ),
            id_field="touchpointId",
        )
        return DeletePayload(deleted_id=None if errors else input.id, errors=errors)
