import strawberry

from domain.team import service as team_service
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.base import DeletePayload, given, in_transaction, write_mutation
from graphql_api.types.team import Team


@strawberry.input
class CreateTeamInput:
    name: str
    slack_channel_id: str | None = strawberry.field(
        default=None, description="Where its alerts and digests go, e.g. C0123ABCD."
    )


@strawberry.input
class UpdateTeamInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    slack_channel_id: str | None = strawberry.UNSET


@strawberry.input
class DeleteTeamInput:
    id: strawberry.ID


@strawberry.type
class TeamPayload:
    team: Team | None
    errors: list[UserError]


@strawberry.type
class TeamMutations:
    @write_mutation(description="Create a team, optionally with its Slack channel.")
    async def create_team(self, info: Info, input: CreateTeamInput) -> TeamPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: team_service.create(
                session,
                workspace_id=workspace_id,
                name=input.name,
                slack_channel_id=input.slack_channel_id,
            ),
        )
        return TeamPayload(team=Team.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Rename a team or change its Slack channel.")
    async def update_team(self, info: Info, input: UpdateTeamInput) -> TeamPayload:
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: team_service.update(
                session,
                workspace_id=workspace_id,
                team_id=ids.decode(input.id, "Team", field="id"),
                name=given(input.name),
                slack_channel_id=given(input.slack_channel_id),
            ),
            id_field="teamId",
        )
        return TeamPayload(team=Team.from_row(row) if row else None, errors=errors)

    @write_mutation(description="Delete a team; what it owned stays, unowned.")
    async def delete_team(self, info: Info, input: DeleteTeamInput) -> DeletePayload:
        _, errors = await in_transaction(
            info,
            lambda session, workspace_id: team_service.delete(
                session, workspace_id=workspace_id, team_id=ids.decode(input.id, "Team", field="id")
            ),
            id_field="teamId",
        )
        return DeletePayload(deleted_id=None if errors else input.id, errors=errors)
