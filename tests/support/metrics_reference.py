"""A plain, slow reference: stage metrics computed straight from the definitions in
docs/metrics.md over the raw events, with no stored state. The property test demands the real
path agrees."""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class RawEvent:
    message_id: str
    customer: str
    type: str  # track | identify
    name: str | None
    at: datetime
    persona: object = None  # identify only: a persona key, None (clear), or MISSING
    mentions_persona: bool = False


@dataclass(frozen=True)
class TouchpointSpec:
    key: str
    position: int  # of its stage
    channel: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    entered: int
    converted: int | None
    dropped: int | None
    pending: int | None
    conversion_rate: float | None
    drop_off_rate: float | None
    median: float | None
    p90: float | None


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def stored(arrivals: list[list[RawEvent | None]]) -> list[RawEvent]:
    """What was stored: the first valid arrival of every messageId (None = a rejected event)."""
    seen: dict[str, RawEvent] = {}
    for batch in arrivals:
        for event in batch:
            if event is not None and event.message_id not in seen:
                seen[event.message_id] = event
    return list(seen.values())


def persona_at(events: list[RawEvent], customer: str, as_of: datetime) -> object:
    """The persona of the latest identify (by timestamp, then messageId) at or before as_of."""
    setting = [
        e
        for e in events
        if e.customer == customer and e.type == "identify" and e.mentions_persona and e.at <= as_of
    ]
    if not setting:
        return None
    return max(setting, key=lambda e: (e.at, e.message_id)).persona


@dataclass(frozen=True)
class Entry:
    customer: str
    position: int
    at: datetime
    touchpoint: TouchpointSpec
    converted_at: datetime | None  # first later-stage event within the window and by as_of


def entries(
    events: list[RawEvent],
    touchpoints: list[TouchpointSpec],
    stages: int,
    window: timedelta,
    as_of: datetime,
) -> list[Entry]:
    """Every customer's first reach of every stage, counting only events at or before as_of."""
    marks = {name: tp for tp in touchpoints for name in tp.names}
    reached = sorted(
        (e for e in events if e.type == "track" and e.name in marks and e.at <= as_of),
        key=lambda e: (e.at, e.message_id),
    )
    result = []
    for customer in sorted({e.customer for e in reached}):
        mine = [e for e in reached if e.customer == customer]
        for position in range(stages):
            at_stage = [e for e in mine if marks[e.name].position == position]
            if not at_stage:
                continue
            first = at_stage[0]
            later = [
                e.at
                for e in mine
                if marks[e.name].position > position and first.at <= e.at <= first.at + window
            ]
            result.append(
                Entry(customer, position, first.at, marks[first.name], min(later, default=None))
            )
    return result


def figures(
    chosen: list[Entry], position: int, stages: int, window: timedelta, as_of: datetime
) -> Figures:
    mine = [e for e in chosen if e.position == position]
    entered = len(mine)
    if position == stages - 1:
        return Figures(entered, None, None, None, None, None, None, None)
    converted = [e for e in mine if e.converted_at is not None]
    dropped = [e for e in mine if e.converted_at is None and e.at + window <= as_of]
    seconds = [(e.converted_at - e.at).total_seconds() for e in converted]  # type: ignore[operator]
    return Figures(
        entered=entered,
        converted=len(converted),
        dropped=len(dropped),
        pending=entered - len(converted) - len(dropped),
        conversion_rate=len(converted) / entered if entered else None,
        drop_off_rate=len(dropped) / entered if entered else None,
        median=percentile_cont(seconds, 0.5),
        p90=percentile_cont(seconds, 0.9),
    )


def local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


def in_period(at: datetime, start: date, end: date, timezone: str) -> bool:
    return start <= local_day(at, timezone) < end


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def reach(
    events: list[RawEvent],
    touchpoints: list[TouchpointSpec],
    start: date,
    end: date,
    timezone: str,
    as_of: datetime,
    keep=lambda customer: True,
) -> dict[str, int]:
    """Per touchpoint: customers whose first event at it lies in the period (by as_of)."""
    counts = {}
    for tp in touchpoints:
        firsts: dict[str, datetime] = {}
        for e in events:
            if e.type == "track" and e.name in tp.names and e.at <= as_of:
                firsts[e.customer] = min(firsts.get(e.customer, e.at), e.at)
        counts[tp.key] = sum(
            1 for c, at in firsts.items() if in_period(at, start, end, timezone) and keep(c)
        )
    return counts
