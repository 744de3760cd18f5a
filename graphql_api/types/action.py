from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from domain.action.models import Action as ActionRow
from graphql_api.context import Info
from graphql_api.types.enums import ActionStatus
from graphql_api.types.outcome import ActionOutcome
from graphql_api.types.relations import JourneyRef, ObservationRef, StageRef, loaded
from graphql_api.types.team import Team


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
    stored_outcome: strawberry.Private[dict[str, Any] | None]
    outcome_measured_at: strawberry.Private[datetime | None]

    journey: JourneyRef = loaded("journey", "journey_id")
    stage: StageRef | None = loaded("stage", "stage_id")
    owner_team: Team | None = loaded("team", "owner_team_id")

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
            stored_outcome=row.outcome,
            outcome_measured_at=row.outcome_measured_at,
        )

    @strawberry.field(
        description="The measured effect on its stage's conversion, once it is done and "
        "enough customers entered after it; null until then."
    )
    def outcome(self) -> ActionOutcome | None:
        return ActionOutcome.of(self.stored_outcome, self.outcome_measured_at)

    @strawberry.field(description="The observations this action addresses.")
    async def observations(self, info: Info) -> list[ObservationRef]:
        loaders = info.context.loaders
        ids = await loaders.observation_ids_by_action.load(self.id)
        found = await loaders.observation.load_many(ids)
        return [observation for observation in found if observation is not None]
