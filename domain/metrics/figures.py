"""What a stage metrics reader answers: per-stage figures, series buckets, segments and
touchpoint reach, as docs/metrics.md defines them; and the figures of each stage from the
counts a reader grouped (one row per stage that somebody entered). Pure."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.metrics.periods import rate
from domain.stage.models import Stage


class Breakdown(StrEnum):
    PERSONA = "persona"  # the customer's persona as of the evaluation time
    CHANNEL = "channel"  # the channel of the touchpoint through which they entered the stage


@dataclass(frozen=True, slots=True)
class StageFigures:
    stage_id: uuid.UUID
    stage: str
    position: int
    entered: int
    converted: int | None
    dropped: int | None
    pending: int | None
    conversion_rate: float | None
    drop_off_rate: float | None
    median_time_to_convert: float | None  # seconds
    p90_time_to_convert: float | None  # seconds


@dataclass(frozen=True, slots=True)
class Bucket:
    start: date  # a local day, or the Monday of a week
    stages: list[StageFigures]


@dataclass(frozen=True, slots=True)
class Segment:
    key: str | None  # a persona id or a channel; None: no persona / unknown
    stages: list[StageFigures]


@dataclass(frozen=True, slots=True)
class Reach:
    touchpoint_id: uuid.UUID
    stage_id: uuid.UUID
    customers: int  # who first reached the touchpoint in the period


@dataclass(frozen=True, slots=True)
class StageMetrics:
    journey_id: uuid.UUID
    start: date
    end: date
    as_of: datetime
    timezone: str
    conversion_window_days: int
    stages: list[StageFigures]
    series: list[Bucket]
    reach: list[Reach]


Row = Mapping[str, Any]  # entered, converted, dropped, percentiles ([median, p90] or None)
Grouped = dict[Any, dict[uuid.UUID, Row]]  # group key → stage id → its counts


def stage_figures(stages: list[Stage], rows: Mapping[uuid.UUID, Row]) -> list[StageFigures]:
    """Every stage's figures, in order, from the counts of the stages somebody entered."""
    figures = []
    for stage in stages:
        row = rows.get(stage.id)
        entered = row["entered"] if row else 0
        if stage is stages[-1]:  # the last stage has nowhere to convert to
            figures.append(
                StageFigures(stage.id, stage.name, stage.position, entered, *(None,) * 7)
            )
            continue
        converted = row["converted"] if row else 0
        dropped = row["dropped"] if row else 0
        percentiles = (row["percentiles"] if row and converted else None) or (None, None)
        figures.append(
            StageFigures(
                stage_id=stage.id,
                stage=stage.name,
                position=stage.position,
                entered=entered,
                converted=converted,
                dropped=dropped,
                pending=entered - converted - dropped,
                conversion_rate=rate(converted, entered),
                drop_off_rate=rate(dropped, entered),
                median_time_to_convert=percentiles[0],
                p90_time_to_convert=percentiles[1],
            )
        )
    return figures


def touchpoint_reach(
    stages: list[Stage], counted: list[tuple[uuid.UUID, uuid.UUID, int]]
) -> list[Reach]:
    """Reach per touchpoint (id, stage id, customers), in stage order, then by id."""
    order = {stage.id: stage.position for stage in stages}
    return sorted(
        (Reach(*row) for row in counted),
        key=lambda r: (order.get(r.stage_id, 0), str(r.touchpoint_id)),
    )
