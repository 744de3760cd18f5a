from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.touchpoint.models import Touchpoint as TouchpointRow
from graphql_api.context import Info
from graphql_api.types.enums import Channel
from graphql_api.types.team import Team

if TYPE_CHECKING:
    from graphql_api.types.journey import Journey
    from graphql_api.types.stage import Stage


@strawberry.type(description="One interaction inside a stage.")
class Touchpoint(relay.Node):
    id: relay.NodeID[uuid.UUID]
    key: str = strawberry.field(description="Unique within the journey, e.g. product-page.")
    name: str
    channel: Channel
    event_names: list[str] = strawberry.field(
        description="Event names that mean a customer reached this touchpoint."
    )
    created_at: datetime
    journey_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID]
    owner_team_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: TouchpointRow) -> Touchpoint:
        return cls(
            id=row.id,
            key=row.key,
            name=row.name,
            channel=row.channel,
            event_names=list(row.event_names),
            created_at=row.created_at,
            journey_id=row.journey_id,
            stage_id=row.stage_id,
            owner_team_id=row.owner_team_id,
        )

    @strawberry.field
    async def owner_team(self, info: Info) -> Team | None:
        if self.owner_team_id is None:
            return None
        return await info.context.loaders.team.load(self.owner_team_id)

    @strawberry.field(description="How many observations were logged at this touchpoint.")
    async def observation_count(self, info: Info) -> int:
        return await info.context.loaders.observation_count.load(self.id)

    @strawberry.field
    async def stage(
        self, info: Info
    ) -> Annotated[Stage, strawberry.lazy("graphql_api.types.stage")]:
        return await info.context.loaders.stage.load(self.stage_id)

    @strawberry.field
    async def journey(
        self, info: Info
    ) -> Annotated[Journey, strawberry.lazy("graphql_api.types.journey")]:
        return await info.context.loaders.journey.load(self.journey_id)
