from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from domain.mention.models import Mention as MentionRow
from domain.observation import service as observation_service
from domain.observation.models import Observation as ObservationRow
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors
from graphql_api.types.enums import Emotion, ObservationKind, ObservationSource
from graphql_api.types.persona import Persona
from graphql_api.types.relations import JourneyRef, StageRef, TouchpointRef, loaded
from graphql_api.types.team import Team


@strawberry.type(description="Someone who saw the same as an observation says (a +1).")
class Mention:
    author_id: str
    author_name: str
    created_at: datetime
    author_team_id: strawberry.Private[uuid.UUID | None]

    author_team: Team | None = loaded("team", "author_team_id", description="Their team.")

    @classmethod
    def from_row(cls, row: MentionRow) -> Mention:
        return cls(
            author_id=row.author_id,
            author_name=row.author_name,
            created_at=row.created_at,
            author_team_id=row.author_team_id,
        )


@strawberry.type(
    description="How often a problem was raised: by the observation's author and everyone who "
    "+1'd it."
)
class ObservationMentions:
    count: int = strawberry.field(description="The +1s (the author's own is not one).")
    raised_times: int = strawberry.field(description="The observation and its +1s.")
    raised_by_teams: int = strawberry.field(
        description="Distinct teams among the author and those who +1'd it."
    )
    people: list[Mention] = strawberry.field(description="Who +1'd it, oldest first.")


@strawberry.type(description="Something a staff member saw at a touchpoint or a stage.")
class Observation(relay.Node):
    id: relay.NodeID[uuid.UUID]
    kind: ObservationKind
    emotion: Emotion | None
    sentiment: int | None = strawberry.field(description="From -2 (very negative) to +2.")
    text: str
    author_id: str
    author_name: str
    source: ObservationSource
    permalink: str | None
    created_at: datetime
    journey_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID]
    touchpoint_id: strawberry.Private[uuid.UUID | None]
    author_team_id: strawberry.Private[uuid.UUID | None]
    persona_id: strawberry.Private[uuid.UUID | None]

    journey: JourneyRef = loaded("journey", "journey_id")
    stage: StageRef = loaded("stage", "stage_id")
    touchpoint: TouchpointRef | None = loaded("touchpoint", "touchpoint_id")
    author_team: Team | None = loaded(
        "team", "author_team_id", description="The team of the staff member who logged it."
    )
    persona: Persona | None = loaded(
        "persona", "persona_id", description="The customer segment it is about; null: all."
    )

    @strawberry.field(description="The +1s of people who saw the same.")
    async def mentions(self, info: Info) -> ObservationMentions:
        loaders = info.context.loaders
        people = await loaders.mentions_by_observation.load(self.id)
        raised = await loaders.raised.load(self.id)
        return ObservationMentions(
            count=len(people),
            raised_times=raised.times,
            raised_by_teams=raised.teams,
            people=people,
        )

    @classmethod
    def from_row(cls, row: ObservationRow) -> Observation:
        return cls(
            id=row.id,
            kind=row.kind,
            emotion=row.emotion,
            sentiment=row.sentiment,
            text=row.text,
            author_id=row.author_id,
            author_name=row.author_name,
            source=row.source,
            permalink=row.permalink,
            created_at=row.created_at,
            journey_id=row.journey_id,
            stage_id=row.stage_id,
            touchpoint_id=row.touchpoint_id,
            author_team_id=row.author_team_id,
            persona_id=row.persona_id,
        )


@strawberry.type(name="ObservationConnection", description="A page of observations.")
class ObservationConnection(relay.Connection[Observation]):
    @classmethod
    async def search(
        cls,
        info: Info,
        where: observation_service.ObservationFilter,
        *,
        first: int,
        after: str | None,
    ) -> ObservationConnection:
        """One keyset page from the domain, shaped as a Relay connection."""
        with domain_errors_as_graphql_errors():
            async with info.context.runtime.transaction() as session:
                page = await observation_service.search(
                    session,
                    workspace_id=info.context.workspace_id,
                    where=where,
                    first=first,
                    after=after,
                )
        return cls.from_page(page, after=after)

    @classmethod
    def from_page(
        cls, page: observation_service.ObservationPage, *, after: str | None
    ) -> ObservationConnection:
        """A domain page shaped as a Relay connection."""
        rows = page.observations
        return cls(
            edges=[
                relay.Edge(
                    cursor=observation_service.encode_cursor(row), node=Observation.from_row(row)
                )
                for row in rows
            ],
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=observation_service.encode_cursor(rows[0]) if rows else None,
                end_cursor=page.end_cursor,
            ),
        )
