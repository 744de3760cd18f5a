"""Read access; everything is scoped to the token's workspace by the loaders and use cases."""

from datetime import datetime

import strawberry
from strawberry import relay

from domain.errors import ValidationError
from domain.journey import service as journey_service
from domain.metrics import service as metrics_service
from domain.observation import service as observation_service
from domain.persona import service as persona_service
from domain.team import service as team_service
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors, query_error
from graphql_api.types.enums import Emotion, ObservationKind
from graphql_api.types.journey import Journey
from graphql_api.types.metrics import UnmappedEvent
from graphql_api.types.observation import ObservationConnection
from graphql_api.types.persona import Persona
from graphql_api.types.team import Team
from graphql_api.types.viewer import Viewer

# Which loader fetches each node type for `node(id)`.
NODE_LOADERS = {
    "Journey": "journey",
    "Stage": "stage",
    "Touchpoint": "touchpoint",
    "Team": "team",
    "Persona": "persona",
    "Observation": "observation",
    "Action": "action",
}


@strawberry.input(description="Every criterion given must hold; times are [since, until).")
class ObservationFilter:
    journey_id: strawberry.ID | None = None
    stage_id: strawberry.ID | None = None
    touchpoint_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = strawberry.field(default=None, description="The author's team.")
    kind: ObservationKind | None = None
    emotion: Emotion | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_domain(self) -> observation_service.ObservationFilter:
        return observation_service.ObservationFilter(
            journey_id=ids.decode_optional(self.journey_id, "Journey", field="journeyId"),
            stage_id=ids.decode_optional(self.stage_id, "Stage", field="stageId"),
            touchpoint_id=ids.decode_optional(
                self.touchpoint_id, "Touchpoint", field="touchpointId"
            ),
            team_id=ids.decode_optional(self.team_id, "Team", field="teamId"),
            kind=self.kind,
            emotion=self.emotion,
            since=self.since,
            until=self.until,
        )


@strawberry.type
class Query:
    @strawberry.field(description="Who is asking: the token's name, scope and workspace.")
    def viewer(self, info: Info) -> Viewer:
        viewer = info.context.viewer
        assert viewer is not None  # the view lets no unauthenticated operation through
        return Viewer(token_name=viewer.token_name, scope=viewer.scope)

    @strawberry.field(
        description="Event names received that no touchpoint maps yet, most frequent first; "
        "mapping one in a touchpoint counts its past events too."
    )
    async def unmapped_events(self, info: Info) -> list[UnmappedEvent]:
        async with info.context.runtime.db() as session:
            rows = await metrics_service.unmapped_events(
                session, workspace_id=info.context.workspace_id
            )
        return [
            UnmappedEvent(name=r.name, events=r.events, last_received_at=r.last_received_at)
            for r in rows
        ]

    @strawberry.field(description="The workspace's journeys, by name.")
    async def journeys(self, info: Info) -> list[Journey]:
        async with info.context.runtime.db() as session:
            rows = await journey_service.list_all(session, workspace_id=info.context.workspace_id)
        return [Journey.from_row(row) for row in rows]

    @strawberry.field(description="One journey; null when there is none with that id.")
    async def journey(self, info: Info, id: strawberry.ID) -> Journey | None:
        with domain_errors_as_graphql_errors():
            journey_id = ids.decode(id, "Journey", field="id")
        return await info.context.loaders.journey.load(journey_id)

    @strawberry.field(description="The workspace's personas, by name.")
    async def personas(self, info: Info) -> list[Persona]:
        async with info.context.runtime.db() as session:
            rows = await persona_service.list_all(session, workspace_id=info.context.workspace_id)
        return [Persona.from_row(row) for row in rows]

    @strawberry.field(description="The workspace's teams, by name.")
    async def teams(self, info: Info) -> list[Team]:
        async with info.context.runtime.db() as session:
            rows = await team_service.list_all(session, workspace_id=info.context.workspace_id)
        return [Team.from_row(row) for row in rows]

    @strawberry.field(
        description=f"Observations, newest first; at most {observation_service.PAGE_SIZE_MAX} "
        "a page (pass a page's endCursor as `after` for the next)."
    )
    async def observations(
        self,
        info: Info,
        filter: ObservationFilter | None = None,
        first: int = observation_service.PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> ObservationConnection:
        with domain_errors_as_graphql_errors():
            where = (filter or ObservationFilter()).to_domain()
        return await ObservationConnection.search(info, where, first=first, after=after)

    @strawberry.field(description="Any object by its global id; null when there is none.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        parsed = ids.parse(id)
        if parsed is None or parsed[0] not in NODE_LOADERS:
            raise query_error(
                ValidationError(f"“{id[:60]}” is not an id this API gave out.", field="id")
            )
        type_name, row_id = parsed
        return await getattr(info.context.loaders, NODE_LOADERS[type_name]).load(row_id)
