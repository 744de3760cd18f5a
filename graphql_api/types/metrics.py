"""Stage metrics, touchpoint reach and unmapped events, as docs/metrics.md defines them."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.metrics import figures
from domain.metrics.periods import Granularity as DomainGranularity
from graphql_api import ids

Granularity = strawberry.enum(DomainGranularity, description="Series buckets: local days or weeks.")


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


@strawberry.type(description="An event name received that no touchpoint maps yet.")
class UnmappedEvent:
    name: str
    events: int
    last_received_at: datetime
