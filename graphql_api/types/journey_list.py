"""The list of journeys: each with its headline figures, and the templates to start one from."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.journey.templates import JourneyTemplate as TemplateRow
from domain.journey_map.headlines import JourneyHeadline as HeadlineRow
from graphql_api.types.enums import Emotion
from graphql_api.types.journey import Journey


@strawberry.type(
    description="A journey in three figures for a period of local days [from, to): customers "
    "who entered its first stage, the share of them who have reached its last stage since, "
    "and its unresolved alerts (docs/journey_map.md)."
)
class JourneyHeadline:
    journey: Journey
    from_: date = strawberry.field(name="from")
    to: date
    entered: int
    completed: int = strawberry.field(description="Of those who entered, reached the last stage.")
    conversion_rate: float | None = strawberry.field(
        description="completed / entered; null when nobody entered or there is one stage or none."
    )
    open_alerts: int = strawberry.field(description="Open or acknowledged.")

    @classmethod
    def of(cls, row: HeadlineRow) -> JourneyHeadline:
        return cls(
            journey=Journey.from_row(row.journey),
            from_=row.period.start,
            to=row.period.end,
            entered=row.entered,
            completed=row.completed,
            conversion_rate=row.conversion_rate,
            open_alerts=row.open_alerts,
        )


@strawberry.type(description="A stage a template starts a journey with.")
class TemplateStage:
    name: str
    customer_goal: str
    expected_emotion: Emotion | None


@strawberry.type(
    description="A journey to start from: pass its stages to `createJourney` as they are."
)
class JourneyTemplate:
    name: str
    description: str
    stages: list[TemplateStage]

    @classmethod
    def of(cls, row: TemplateRow) -> JourneyTemplate:
        return cls(
            name=row.name,
            description=row.description,
            stages=[
                TemplateStage(
                    name=s.name,
                    customer_goal=s.customer_goal,
                    expected_emotion=Emotion(s.expected_emotion) if s.expected_emotion else None,
                )
                for s in row.stages
            ],
        )
