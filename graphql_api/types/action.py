from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay

from domain.action.models import Action as ActionRow
from domain.action.models import ActionActivity as ActionActivityRow
from graphql_api.context import Info
from graphql_api.types.enums import ActionStatus
from graphql_api.types.outcome import ActionOutcome
from graphql_api.types.relations import AlertRef, JourneyRef, ObservationRef, StageRef, loaded
from graphql_api.types.team import Team


@strawberry.type(description="Who moved an action to which status, and when.")
class ActionActivity:
    status: ActionStatus
    actor_id: str | None = strawberry.field(
        description="A Slack user id, or “token:…” for an API token; null: unknown."
    )
    actor_name: str | None
    at: datetime

    @classmethod
    def from_row(cls, row: ActionActivityRow) -> ActionActivity:
        return cls(
            status=row.status, actor_id=row.actor_id, actor_name=row.actor_name, at=row.created_at
        )


@strawberry.type(
    description="An improvement a team owns, for a stage and the observations behind it."
)
class Action(relay.Node):
    id: relay.NodeID[uuid.UUID]
    title: str
    description: str
    status: ActionStatus
    created_at: datetime
    due_on: date | None = strawberry.field(description="When it should be done, if anyone said.")
    created_by: str | None = strawberry.field(
        description="Who created it (a display name, or the API token's); null: unknown."
    )
    created_by_id: str | None = strawberry.field(
        description="Their Slack user id, or “token:…” for an API token."
    )
    status_changed_at: datetime | None
    done_at: datetime | None = strawberry.field(
        description="When it was marked done: its outcome is measured on the customers who "
        "entered its stage after this."
    )
    journey_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID | None]
    owner_team_id: strawberry.Private[uuid.UUID | None]
    alert_id: strawberry.Private[uuid.UUID | None]
    stored_outcome: strawberry.Private[dict[str, Any] | None]
    outcome_measured_at: strawberry.Private[datetime | None]

    journey: JourneyRef = loaded("journey", "journey_id")
    stage: StageRef | None = loaded("stage", "stage_id")
    owner_team: Team | None = loaded("team", "owner_team_id")
    alert: AlertRef | None = loaded(
        "alert", "alert_id", description="The alert it was created from; done, it resolves it."
    )

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
            due_on=row.due_on,
            created_by=row.created_by_name,
            created_by_id=row.created_by_id,
            status_changed_at=row.status_changed_at,
            done_at=row.done_at,
            alert_id=row.alert_id,
            stored_outcome=row.outcome,
            outcome_measured_at=row.outcome_measured_at,
        )

    @strawberry.field(description="Who moved it to which status, oldest first (creation too).")
    async def activity(self, info: Info) -> list[ActionActivity]:
        return await info.context.loaders.activity_by_action.load(self.id)

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
