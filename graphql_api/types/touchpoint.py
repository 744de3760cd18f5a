from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from domain.touchpoint.models import Touchpoint as TouchpointRow
from graphql_api.context import Info
from graphql_api.types.enums import Channel
from graphql_api.types.relations import JourneyRef, StageRef, loaded
from graphql_api.types.team import Team


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

    owner_team: Team | None = loaded("team", "owner_team_id")
    stage: StageRef = loaded("stage", "stage_id")
    journey: JourneyRef = loaded("journey", "journey_id")

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

    @strawberry.field(description="How many observations were logged at this touchpoint.")
    async def observation_count(self, info: Info) -> int:
        return await info.context.loaders.observation_count.load(self.id)
