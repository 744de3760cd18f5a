"""Live updates over the graphql-transport-ws protocol, fed by the process's LiveListener.

Every live topic carries `workspace_id` and `journey_id`; `journey_messages` checks the journey
is the subscriber's and keeps only its messages, so a new feed (e.g. `alertFired`) is one more
resolver that loads the row its message names.
"""

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Any

import strawberry

from domain.journey import service as journey_service
from domain.live import Topic
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors
from graphql_api.types.alert import Alert
from graphql_api.types.observation import Observation


async def journey_messages(
    info: Info, journey_id: strawberry.ID, topic: Topic
) -> AsyncIterator[dict[str, Any]]:
    """Messages on `topic` about this journey of the subscriber's workspace, from now on."""
    context = info.context
    workspace_id = context.workspace_id
    with domain_errors_as_graphql_errors():
        journey = ids.decode(journey_id, "Journey", field="journeyId")
        async with context.runtime.transaction() as session:
            await journey_service.get(session, workspace_id=workspace_id, journey_id=journey)
    async for message in context.runtime.live.messages(topic):
        if message["workspace_id"] == str(workspace_id) and message["journey_id"] == str(journey):
            yield message


@strawberry.type(description="A journey's figures moved: events were folded into them.")
class JourneyFiguresChanged:
    journey_id: strawberry.ID
    latest_received_at: datetime = strawberry.field(
        description="When the newest events now in its figures were received."
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each observation logged on this journey from now on.")
    async def observation_logged(
        self, info: Info, journey_id: strawberry.ID
    ) -> AsyncGenerator[Observation, None]:
        async for message in journey_messages(info, journey_id, Topic.OBSERVATION_LOGGED):
            observation_id = uuid.UUID(message["observation_id"])
            observation = await info.context.loaders.observation.load(observation_id)
            if observation is not None:  # deleted since
                yield observation

    @strawberry.subscription(description="Each alert fired on this journey from now on.")
    async def alert_fired(
        self, info: Info, journey_id: strawberry.ID
    ) -> AsyncGenerator[Alert, None]:
        async for message in journey_messages(info, journey_id, Topic.ALERT_FIRED):
            alert = await info.context.loaders.alert.load(uuid.UUID(message["alert_id"]))
            if alert is not None:  # deleted since, with its rule
                yield alert

    @strawberry.subscription(
        description="Each time events are folded into this journey's figures, at most about "
        "once a second: read them again (e.g. `journeyMap`)."
    )
    async def journey_figures_changed(
        self, info: Info, journey_id: strawberry.ID
    ) -> AsyncGenerator[JourneyFiguresChanged, None]:
        async for message in journey_messages(info, journey_id, Topic.FIGURES_CHANGED):
            yield JourneyFiguresChanged(
                journey_id=journey_id,
                latest_received_at=datetime.fromisoformat(message["latest_received_at"]),
            )
