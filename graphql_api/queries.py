"""Read access; everything is scoped to the token's workspace by the loaders and use cases."""

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import relay

from domain.alert import service as alert_service
from domain.alert_rule import service as alert_rule_service
from domain.errors import ValidationError
from domain.journey import service as journey_service
from domain.journey.templates import TEMPLATES
from domain.journey_map import headlines as headline_service
from domain.journey_map import service as map_service
from domain.metrics.unmapped_events import unmapped_events
from domain.observation import service as observation_service
from domain.observation import similar as similar_observations
from domain.persona import service as persona_service
from domain.team import service as team_service
from graphql_api import ids
from graphql_api.backtest import backtest_rule
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors, query_error
from graphql_api.mutations.base import in_transaction
from graphql_api.types.alert import AlertConnection
from graphql_api.types.alert_rule import AlertRule
from graphql_api.types.backtest import AlertRuleBacktest
from graphql_api.types.enums import AlertStatus, Channel, Emotion, ObservationKind
from graphql_api.types.journey import Journey
from graphql_api.types.journey_list import JourneyHeadline, JourneyTemplate
from graphql_api.types.journey_map import JourneyMap, JourneyMapResult, PeriodStart
from graphql_api.types.metrics import UnmappedEvent
from graphql_api.types.observation import Observation, ObservationConnection
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
    "AlertRule": "alert_rule",
    "Alert": "alert",
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
        # The reader folds and reads on a connection of its own (domain.metrics.snapshot).
        async with info.context.runtime.transaction() as session:
            rows = await unmapped_events(session, workspace_id=info.context.workspace_id)
        return [
            UnmappedEvent(name=r.name, events=r.events, last_received_at=r.last_received_at)
            for r in rows
        ]

    @strawberry.field(description="The workspace's journeys, by name.")
    async def journeys(self, info: Info) -> list[Journey]:
        async with info.context.runtime.transaction() as session:
            rows = await journey_service.list_all(session, workspace_id=info.context.workspace_id)
        return [Journey.from_row(row) for row in rows]

    @strawberry.field(
        description="The workspace's journeys, by name, each with its figures for the last "
        "`days` local days (today included): customers entering, end-to-end conversion, open "
        "alerts."
    )
    async def journey_headlines(
        self, info: Info, days: int = map_service.DAYS_DEFAULT
    ) -> list[JourneyHeadline]:
        with domain_errors_as_graphql_errors():
            # The read may fold pending batches first (domain.metrics.fold): committed with it.
            async with info.context.runtime.transaction() as session:
                rows = await headline_service.headlines(
                    session, workspace_id=info.context.workspace_id, days=days
                )
        return [JourneyHeadline.of(row) for row in rows]

    @strawberry.field(description="Journeys to start from, with their stages.")
    def journey_templates(self) -> list[JourneyTemplate]:
        return [JourneyTemplate.of(template) for template in TEMPLATES]

    @strawberry.field(description="One journey; null when there is none with that id.")
    async def journey(self, info: Info, id: strawberry.ID) -> Journey | None:
        with domain_errors_as_graphql_errors():
            journey_id = ids.decode(id, "Journey", field="id")
        return await info.context.loaders.journey.load(journey_id)

    @strawberry.field(description="The workspace's personas, by name.")
    async def personas(self, info: Info) -> list[Persona]:
        async with info.context.runtime.transaction() as session:
            rows = await persona_service.list_all(session, workspace_id=info.context.workspace_id)
        return [Persona.from_row(row) for row in rows]

    @strawberry.field(description="The workspace's teams, by name.")
    async def teams(self, info: Info) -> list[Team]:
        async with info.context.runtime.transaction() as session:
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

    @strawberry.field(
        description="The stage's observations of the last 90 days most like `text`, most alike "
        "first (to +1 one instead of logging a near-copy); none when nothing is alike."
    )
    async def similar_observations(
        self,
        info: Info,
        stage_id: strawberry.ID,
        text: str,
        first: int = similar_observations.LIMIT_DEFAULT,
    ) -> list[Observation]:
        with domain_errors_as_graphql_errors():
            stage = ids.decode(stage_id, "Stage", field="stageId")
            async with info.context.runtime.transaction() as session:
                rows = await similar_observations.similar(
                    session,
                    workspace_id=info.context.workspace_id,
                    stage_id=stage,
                    text=text,
                    limit=first,
                )
        return [Observation.from_row(row) for row in rows]

    @strawberry.field(description="The workspace's alert rules (or one journey's), oldest first.")
    async def alert_rules(
        self, info: Info, journey_id: strawberry.ID | None = None
    ) -> list[AlertRule]:
        with domain_errors_as_graphql_errors():
            journey = ids.decode_optional(journey_id, "Journey", field="journeyId")
        async with info.context.runtime.transaction() as session:
            rows = await alert_rule_service.list_all(
                session, workspace_id=info.context.workspace_id, journey_id=journey
            )
        return [AlertRule.from_row(row) for row in rows]

    @strawberry.field(
        description=f"Alerts, newest first; at most {alert_service.PAGE_SIZE_MAX} a page (pass "
        "a page's endCursor as `after` for the next)."
    )
    async def alerts(
        self,
        info: Info,
        status: AlertStatus | None = None,
        journey_id: strawberry.ID | None = None,
        first: int = alert_service.PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> AlertConnection:
        with domain_errors_as_graphql_errors():
            journey = ids.decode_optional(journey_id, "Journey", field="journeyId")
        return await AlertConnection.search(
            info, status=status, journey_id=journey, first=first, after=after
        )

    @strawberry.field(
        description="Replay a rule daily over past cohorts, from `from` to `to` (at most a "
        "year): each time it would have fired or resolved itself. Nothing is written; expected "
        "failures are in the result's `errors`."
    )
    async def backtest_alert_rule(
        self,
        info: Info,
        rule_id: strawberry.ID,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> AlertRuleBacktest:
        return await backtest_rule(info, rule_id, first_day=from_, last_day=to)

    @strawberry.field(
        description="One journey's map for a period: the last `days` (default 30, today "
        "included) or [from, to), optionally for one persona and entry channel; each stage's "
        "figures against the period before, touchpoints, emotions, observations, alerts and "
        "actions (docs/journey_map.md). Expected failures are in the result's `errors`."
    )
    async def journey_map(
        self,
        info: Info,
        journey_id: strawberry.ID,
        days: int | None = None,
        from_: PeriodStart = None,
        to: date | None = None,
        persona_id: strawberry.ID | None = None,
        channel: Channel | None = None,
        observations_per_kind: int = map_service.OBSERVATIONS_PER_KIND_DEFAULT,
    ) -> JourneyMapResult:
        async def read(session, workspace_id):
            return await map_service.journey_map(
                session,
                workspace_id=workspace_id,
                journey_id=ids.decode(journey_id, "Journey", field="journeyId"),
                days=days,
                start=from_,
                end=to,
                persona_id=ids.decode_optional(persona_id, "Persona", field="personaId"),
                channel=channel,
                observations_per_kind=observations_per_kind,
            )

        # A transaction: the catch-up fold a read may do (domain.metrics.fold) is kept.
        found, errors = await in_transaction(info, read)
        return JourneyMapResult(map=JourneyMap.of(found) if found else None, errors=errors)

    @strawberry.field(description="Any object by its global id; null when there is none.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        parsed = ids.parse(id)
        if parsed is None or parsed[0] not in NODE_LOADERS:
            raise query_error(
                ValidationError(f"“{id[:60]}” is not an id this API gave out.", field="id")
            )
        type_name, row_id = parsed
        return await getattr(info.context.loaders, NODE_LOADERS[type_name]).load(row_id)
