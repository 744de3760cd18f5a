from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.observation import service as observation_service
from domain.stage.models import Stage as StageRow
from graphql_api.context import Info
from graphql_api.types.enums import Emotion

if TYPE_CHECKING:
    from graphql_api.types.journey import Journey
    from graphql_api.types.observation import ObservationConnection
    from graphql_api.types.touchpoint import Touchpoint


@strawberry.type(description="One ordered step of a journey (awareness, consideration…).")
class Stage(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str
    position: int = strawberry.field(description="0-based place in the journey.")
    customer_goal: str
    expected_emotion: Emotion | None
    journey_id: strawberry.Private[uuid.UUID]

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
    async def journey(
        self, info: Info
    ) -> Annotated[Journey, strawberry.lazy("graphql_api.types.journey")]:
        return await info.context.loaders.journey.load(self.journey_id)

    @strawberry.field
    async def touchpoints(
        self, info: Info
    ) -> list[Annotated[Touchpoint, strawberry.lazy("graphql_api.types.touchpoint")]]:
        return await info.context.loaders.touchpoints_by_stage.load(self.id)

    @strawberry.field(description="Observations at this stage, newest first.")
    async def observations(
        self,
        info: Info,
        first: int = observation_service.PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> Annotated[ObservationConnection, strawberry.lazy("graphql_api.types.observation")]:
        from graphql_api.types.observation import ObservationConnection

        return await ObservationConnection.search(
            info,
            observation_service.ObservationFilter(stage_id=self.id),
            first=first,
            after=after,
        )
