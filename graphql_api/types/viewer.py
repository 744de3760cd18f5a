import strawberry

from domain.workspace import service as workspace_service
from graphql_api.context import Info
from graphql_api.types.enums import TokenScope


@strawberry.type(description="One organisation; everything a token sees belongs to it.")
class Workspace:
    name: str


@strawberry.type(description="The API token a request came with.")
class Viewer:
    token_name: str
    scope: TokenScope

    @strawberry.field
    async def workspace(self, info: Info) -> Workspace:
        async with info.context.runtime.transaction() as session:
            row = await workspace_service.get(session, workspace_id=info.context.workspace_id)
        return Workspace(name=row.name)
