"""Stage metrics, touchpoint reach and unmapped events, as docs/metrics.md defines them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry

from domain.metrics import figures
from domain.metrics.periods import Granularity as DomainGranularity
from domain.vocabulary import Channel as DomainChannel
from graphql_api import ids
from graphql_api.types.enums import Channel
from graphql_api.types.persona import Persona
from graphql_api.types.relations import loaded

Granularity = strawberry.enum(DomainGranularity, description="Series buckets: local days or weeks.")
MetricsBreakdown = strawberry.enum(
    figures.Breakdown,
    name="MetricsBreakdown",
    description="Segments of a breakdown: personas (as of the evaluation time) or entry channels.",
)
# The fields whose values need the percentile lookups; a query selecting none of them skips them.
PERCENTILE_FIELDS = ("medianTimeToConvert", "p90TimeToConvert")


@strawberry.type(description="One stage's figures for the customers who entered it in the period.")
class StageFigures:
    stage_id: strawberry.ID
    stage: str = strawberry.field(description="The stage's name.")
    position: int
    entered: int
    converted: int | None = strawberry.field(description="Null for the last stage.")
    dropped: int | None
    pending: int | None
    conversion_rate: float | None
    drop_off_rate: float | None
    median_time_to_convert: float | None = strawberry.field(description="Seconds.")
    p90_time_to_convert: float | None = strawberry.field(description="Seconds.")

    @classmethod
    def from_domain(cls, s: figures.StageFigures) -> StageFigures:
        return cls(
            stage_id=ids.encode("Stage", s.stage_id),
            stage=s.stage,
            position=s.position,
            entered=s.entered,
            converted=s.converted,
            dropped=s.dropped,
            pending=s.pending,
            conversion_rate=s.conversion_rate,
            drop_off_rate=s.drop_off_rate,
            median_time_to_convert=s.median_time_to_convert,
            p90_time_to_convert=s.p90_time_to_convert,
        )


@strawberry.type(description="The figures of the customers who entered in one day or week.")
class MetricsBucket:
    start: date = strawberry.field(description="The local day, or the Monday of the week.")
    stages: list[StageFigures]


@strawberry.type(description="Customers who first reached a touchpoint in the period.")
class TouchpointReach:
    touchpoint_id: strawberry.ID
    customers: int


@strawberry.type(description="Stage metrics of a journey for [from, to) in its time zone.")
class StageMetrics:
    start: date = strawberry.field(name="from")
    end: date = strawberry.field(name="to")
    as_of: datetime
    timezone: str
    conversion_window_days: int
    stages: list[StageFigures]
    series: list[MetricsBucket]
    reach: list[TouchpointReach]

    @classmethod
    def from_domain(cls, m: figures.StageMetrics) -> StageMetrics:
        return cls(
            start=m.start,
            end=m.end,
            as_of=m.as_of,
            timezone=m.timezone,
            conversion_window_days=m.conversion_window_days,
            stages=[StageFigures.from_domain(s) for s in m.stages],
            series=[
                MetricsBucket(start=b.start, stages=[StageFigures.from_domain(s) for s in b.stages])
                for b in m.series
            ],
            reach=[
                TouchpointReach(
                    touchpoint_id=ids.encode("Touchpoint", r.touchpoint_id),
                    customers=r.customers,
                )
                for r in m.reach
            ],
        )


@strawberry.type(description="One segment of a breakdown: a persona or an entry channel.")
class StageSegment:
    persona_id: strawberry.Private[uuid.UUID | None]
    persona: Persona | None = loaded(
        "persona", "persona_id", description="By persona: the persona; null: customers with none."
    )
    channel: Channel | None = strawberry.field(
        description="By channel: the entry channel; null: not known (or a persona breakdown)."
    )
    stages: list[StageFigures]

    @classmethod
    def from_domain(cls, segment: figures.Segment, by: figures.Breakdown) -> StageSegment:
        key = segment.key
        by_persona = by is figures.Breakdown.PERSONA
        return cls(
            persona_id=uuid.UUID(key) if by_persona and key else None,
            channel=DomainChannel(key) if not by_persona and key else None,
            stages=[StageFigures.from_domain(s) for s in segment.stages],
        )


@strawberry.type(description="An event name received that no touchpoint maps yet.")
class UnmappedEvent:
    name: str
    events: int
    last_received_at: datetime
