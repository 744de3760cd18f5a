"""Live updates over the graphql-transport-ws protocol, fed by the process's LiveListener."""

import uuid
from collections.abc import AsyncGenerator

import strawberry

from domain.journey import service as journey_service
from domain.live import Topic
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors
from graphql_api.types.observation import Observation


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each observation logged on this journey from now on.")
    async def observation_logged(
        self, info: Info, journey_id: strawberry.ID
    ) -> AsyncGenerator[Observation, None]:
        context = info.context
        workspace_id = context.workspace_id
        with domain_errors_as_graphql_errors():
            journey = ids.decode(journey_id, "Journey", field="journeyId")
            async with context.runtime.db() as session:
                await journey_service.get(session, workspace_id=workspace_id, journey_id=journey)
        async for message in context.runtime.live.messages(Topic.OBSERVATION_LOGGED):
            if message["workspace_id"] != str(workspace_id) or message["journey_id"] != str(
                journey
            ):
                continue
            observation = await context.loaders.observation.load(
                uuid.UUID(message["observation_id"])
            )
            if observation is not None:
                yield observation
