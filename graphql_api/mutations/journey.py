import strawberry

from domain.journey import service as journey_service
from domain.journey.models import DEFAULT_CONVERSION_WINDOW_DAYS
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
from graphql_api.types.enums import Emotion
from graphql_api.types.journey import Journey


@strawberry.input(description="A stage given inline when a journey is created.")
class StageSpecInput:
    name: str
    customer_goal: str = ""
    expected_emotion: Emotion | None = None


@strawberry.input
class CreateJourneyInput:
    name: str
    description: str = ""
    persona_id: strawberry.ID | None = None
    conversion_window_days: int = DEFAULT_CONVERSION_WINDOW_DAYS
    timezone: str = strawberry.field(default="UTC", description="IANA name, e.g. Europe/Paris.")
    stages: list[StageSpecInput] = strawberry.field(
        default_factory=list, description="The journey's stages, in order."
    )


@strawberry.input
class UpdateJourneyInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    persona_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null: a journey for all customers."
    )
    conversion_window_days: int | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET


@strawberry.input
class DeleteJourneyInput:
    id: strawberry.ID


@strawberry.type
class JourneyPayload:
    journey: Journey | None
    errors: list[UserError]


@strawberry.type
class JourneyMutations:
    @write_mutation(description="Create a journey, with its stages in order when given.")
    async def create_journey(self, info: Info, input: CreateJourneyInput) -> JourneyPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: journey_service.create(
                session,
                workspace_id=workspace_id,
                name=input.name,
                description=input.description,
                persona_id=ids.decode_optional(input.persona_id, "Persona", field="personaId"),
                conversion_window_days=input.conversion_window_days,
                timezone=input.timezone,
                stages=[
                    journey_service.StageSpec(
                        name=stage.name,
                        customer_goal=stage.customer_goal,
                        expected_emotion=stage.expected_emotion,
                    )
                    for stage in input.stages
                ],
            ),
        )
        return JourneyPayload(journey=Journey.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Rename a journey or change its settings.")
    async def update_journey(self, info: Info, input: UpdateJourneyInput) -> JourneyPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: journey_service.update(
                session,
                workspace_id=workspace_id,
                journey_id=ids.decode(input.id, "Journey", field="id"),
                name=given(input.name),
                description=given(input.description),
                persona_id=given_id(input.persona_id, "Persona", field="personaId"),
                conversion_window_days=given(input.conversion_window_days),
                timezone=given(input.timezone),
            ),
            id_field="journeyId",
        )
        return JourneyPayload(journey=Journey.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Delete a journey with its stages, touchpoints and observations.")
    async def delete_journey(self, info: Info, input: DeleteJourneyInput) -> DeletePayload:
        _, errors = await in_transaction(
            info,
            lambda session, workspace_id: journey_service.delete(
                session,
                workspace_id=workspace_id,
                journey_id=ids.decode(input.id, "Journey", field="id"),
            ),
            id_field="journeyId",
        )
        return DeletePayload(deleted_id=None if errors else input.id, errors=errors)
