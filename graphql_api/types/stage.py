from __future__ import annotations

import uuid

import strawberry
from strawberry import relay

from domain.observation import service as observation_service
from domain.stage.models import Stage as StageRow
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors
from graphql_api.types.enums import Emotion
from graphql_api.types.relations import JourneyRef, ObservationConnectionRef, TouchpointRef, loaded


@strawberry.type(description="One ordered step of a journey (awareness, consideration…).")
class Stage(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str
    position: int = strawberry.field(description="0-based place in the journey.")
    customer_goal: str
    expected_emotion: Emotion | None
    journey_id: strawberry.Private[uuid.UUID]

    journey: JourneyRef = loaded("journey", "journey_id")

    @classmethod
    def from_row(cls, row: StageRow) -> Stage:
        return cls(
            id=row.id,
            name=row.name,
            position=row.position,
            customer_goal=row.customer_goal,
            expected_emotion=row.expected_emotion,
            journey_id=row.journey_id,
        )

    @strawberry.field
    async def touchpoints(self, info: Info) -> list[TouchpointRef]:
        return await info.context.loaders.touchpoints_by_stage.load(self.id)

    @strawberry.field(description="Observations at this stage, newest first.")
    async def observations(
        self,
        info: Info,
        first: int = observation_service.PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> ObservationConnectionRef:
        from graphql_api.types.observation import ObservationConnection

        where = observation_service.ObservationFilter(stage_id=self.id)
        if after is not None:
            return await ObservationConnection.search(info, where, first=first, after=after)
        # First pages of many stages (a journey map) load together.
        with domain_errors_as_graphql_errors():
            page = await info.context.loaders.first_observation_pages.load((self.id, first))
        return ObservationConnection.from_page(page, after=None)
