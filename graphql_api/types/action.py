from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.action.models import Action as ActionRow
from graphql_api.context import Info
from graphql_api.types.enums import ActionStatus
from graphql_api.types.team import Team

if TYPE_CHECKING:
    from graphql_api.types.journey import Journey
    from graphql_api.types.observation import Observation
    from graphql_api.types.stage import Stage


@strawberry.type(
    description="An improvement a team owns, for a stage and the observations behind it."
)
class Action(relay.Node):
    id: relay.NodeID[uuid.UUID]
    title: str
    description: str
    status: ActionStatus
    created_at: datetime
    journey_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID | None]
    owner_team_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: ActionRow) -> Action:
        return cls(
            id=row.id,
            title=row.title,
            description=row.description,
            status=row.status,
            created_at=row.created_at,
            journey_id=row.journey_id,
            stage_id=row.stage_id,
            owner_team_id=row.owner_team_id,
        )

    @strawberry.field
    async def journey(
        self, info: Info
    ) -> Annotated[Journey, strawberry.lazy("graphql_api.types.journey")]:
        return await info.context.loaders.journey.load(self.journey_id)

    @strawberry.field
    async def stage(
        self, info: Info
    ) -> Annotated[Stage, strawberry.lazy("graphql_api.types.stage")] | None:
        if self.stage_id is None:
            return None
        return await info.context.loaders.stage.load(self.stage_id)

    @strawberry.field
    async def owner_team(self, info: Info) -> Team | None:
        if self.owner_team_id is None:
            return None
        return await info.context.loaders.team.load(self.owner_team_id)

    @strawberry.field(description="The observations this action addresses.")
    async def observations(
        self, info: Info
    ) -> list[Annotated[Observation, strawberry.lazy("graphql_api.types.observation")]]:
        loaders = info.context.loaders
        ids = await loaders.observation_ids_by_action.load(self.id)
        found = await loaders.observation.load_many(ids)
        return [observation for observation in found if observation is not None]
