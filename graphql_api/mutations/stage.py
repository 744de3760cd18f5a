import strawberry

from domain.stage import service as stage_service
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.base import DeletePayload, given, in_transaction, write_mutation
from graphql_api.types.enums import Emotion
from graphql_api.types.journey import Journey
from graphql_api.types.stage import Stage


@strawberry.input
class AddStageInput:
    journey_id: strawberry.ID
    name: str
    customer_goal: str = ""
    expected_emotion: Emotion | None = None
    position: int | None = strawberry.field(
        default=None, description="0-based; default: after the last stage."
    )


@strawberry.input
class UpdateStageInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    customer_goal: str | None = strawberry.UNSET
    expected_emotion: Emotion | None = strawberry.UNSET


@strawberry.input
class ReorderStagesInput:
    journey_id: strawberry.ID
    stage_ids: list[strawberry.ID] = strawberry.field(
        description="Every stage of the journey, each once, in the new order."
    )


@strawberry.input
class RemoveStageInput:
    id: strawberry.ID
    move_to_stage_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Where the stage's touchpoints and observations go; required when it has any.",
    )


@strawberry.type
class StagePayload:
    stage: Stage | None
    errors: list[UserError]


@strawberry.type
class ReorderStagesPayload:
    journey: Journey | None
    errors: list[UserError]


@strawberry.type
class StageMutations:
    @write_mutation(description="Add a stage to a journey, by default after the last.")
    async def add_stage(self, info: Info, input: AddStageInput) -> StagePayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: stage_service.add(
                session,
                workspace_id=workspace_id,
                journey_id=ids.decode(input.journey_id, "Journey", field="journeyId"),
                name=input.name,
                customer_goal=input.customer_goal,
                expected_emotion=input.expected_emotion,
                position=input.position,
            ),
        )
        return StagePayload(stage=Stage.from_row(row) if row else None, errors=errors)

    @write_mutation
    async def update_stage(self, info: Info, input: UpdateStageInput) -> StagePayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: stage_service.update(
                session,
                workspace_id=workspace_id,
                stage_id=ids.decode(input.id, "Stage", field="id"),
                name=given(input.name),
                customer_goal=given(input.customer_goal),
                expected_emotion=given(input.expected_emotion),
            ),
            id_field="stageId",
        )
        return StagePayload(stage=Stage.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Put a journey's stages in a new order (list every stage once).")
    async def reorder_stages(self, info: Info, input: ReorderStagesInput) -> ReorderStagesPayload:
        async def reorder(session, workspace_id):
            journey_id = ids.decode(input.journey_id, "Journey", field="journeyId")
            await stage_service.reorder(
                session,
                workspace_id=workspace_id,
                journey_id=journey_id,
                stage_ids=ids.decode_many(input.stage_ids, "Stage", field="stageIds"),
            )
            return journey_id

        journey_id, errors = await in_transaction(info, reorder)
        journey = journey_id and await info.context.loaders.journey.load(journey_id)
        return ReorderStagesPayload(journey=journey, errors=errors)

    @write_mutation(description="Remove a stage, moving its touchpoints and observations.")
    async def remove_stage(self, info: Info, input: RemoveStageInput) -> DeletePayload:
        _, errors = await in_transaction(
            info,
            lambda session, workspace_id: stage_service.remove(
                session,
                workspace_id=workspace_id,
                stage_id=ids.decode(input.id, "Stage", field="id"),
                move_to_stage_id=ids.decode_optional(
                    input.move_to_stage_id, "Stage", field="moveToStageId"
                ),
            ),
            id_field="stageId",
        )
        return DeletePayload(deleted_id=None if errors else input.id, errors=errors)
