import strawberry
from strawberry.scalars import JSON

from domain.persona import service as persona_service
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.base import DeletePayload, given, in_transaction, write_mutation
from graphql_api.types.persona import Persona


@strawberry.input
class CreatePersonaInput:
    name: str
    description: str = ""
    goals: list[str] = strawberry.field(default_factory=list)
    needs: list[str] = strawberry.field(default_factory=list)
    attributes: JSON | None = None


@strawberry.input
class UpdatePersonaInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    goals: list[str] | None = strawberry.UNSET
    needs: list[str] | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET


@strawberry.input
class DeletePersonaInput:
    id: strawberry.ID


@strawberry.type
class PersonaPayload:
    persona: Persona | None
    errors: list[UserError]


@strawberry.type
class PersonaMutations:
    @write_mutation(description="Create a customer segment such as “busy professional”.")
    async def create_persona(self, info: Info, input: CreatePersonaInput) -> PersonaPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: persona_service.create(
                session,
                workspace_id=workspace_id,
                name=input.name,
                description=input.description,
                goals=input.goals,
                needs=input.needs,
                attributes=input.attributes,
            ),
        )
        return PersonaPayload(persona=Persona.from_row(row) if row else None, errors=errors)

    @write_mutation
    async def update_persona(self, info: Info, input: UpdatePersonaInput) -> PersonaPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: persona_service.update(
                session,
                workspace_id=workspace_id,
                persona_id=ids.decode(input.id, "Persona", field="id"),
                name=given(input.name),
                description=given(input.description),
                goals=given(input.goals),
                needs=given(input.needs),
                attributes=given(input.attributes),
            ),
            id_field="personaId",
        )
        return PersonaPayload(persona=Persona.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Delete a persona; its journeys become journeys for everyone.")
    async def delete_persona(self, info: Info, input: DeletePersonaInput) -> DeletePayload:
        _, errors = await in_transaction(
            info,
            lambda session, workspace_id: persona_service.delete(
                session,
                workspace_id=workspace_id,
                persona_id=ids.decode(input.id, "Persona", field="id"),
            ),
            id_field="personaId",
        )
        return DeletePayload(deleted_id=None if errors else input.id, errors=errors)
