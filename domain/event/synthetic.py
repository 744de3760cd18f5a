"""Realistic synthetic customer events for a journey (demo data and benchmarks), seeded so the
same call always sends the same events (with the same messageIds: sending twice stores once).

Customers arrive over the period (fewer at weekends), enter through one of the first stage's
touchpoints, and each moves on to the next stage with a falling probability after a delay of
hours to days — some only after the conversion window, some skipping a stage; many revisit
touchpoints of the stage they are in. The decision stage loses the most customers; a plan can
also make one stage lose customers from a given day on (a real drop, for an alert to find).
"""

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.event import service as event_service
from domain.event.message import BATCH_EVENTS_MAX
from domain.event.service import IngestResult
from domain.stage import service as stage_service
from domain.touchpoint import service as touchpoint_service

# Chance of moving on from stage i to i + 1 (the last entries repeat for longer journeys).
MOVE_ON = (0.62, 0.48, 0.27, 0.55, 0.4)
SKIP = 0.05  # chance of jumping a stage
REVISITS_MEAN = 1.6  # extra events per stage reached


@dataclass(frozen=True)
class Drop:
    """From `since` on, customers entering the stage at `position` move on with this chance."""

    position: int
    since: datetime
    move_on: float


@dataclass(frozen=True)
class Plan:
    """What to generate: the event names of each stage's touchpoints, in stage order."""

    stage_events: Sequence[Sequence[str]]
    customers: int
    start: datetime
    days: int
    seed: int = 7
    personas: Sequence[str] = ()
    drop: Drop | None = None

    def move_on(self, position: int, entered_at: datetime) -> float:
        """The chance of moving on from the stage at `position`, entered at `entered_at`."""
        if self.drop and self.drop.position == position and entered_at >= self.drop.since:
            return self.drop.move_on
        return MOVE_ON[position % len(MOVE_ON)]


def events(plan: Plan) -> Iterator[dict[str, Any]]:
    """Segment-shaped track (and identify, when personas are given) events, customer by
    customer, each customer's events in time order."""
    rng = random.Random(plan.seed)
    stages = [list(names) for names in plan.stage_events if names]
    for n in range(plan.customers):
        # Pipelines send a customer's events roughly in the order they happen.
        walk = _customer(rng, plan, n, stages)
        yield from sorted(walk, key=lambda e: datetime.fromisoformat(e["timestamp"]))


def _customer(
    rng: random.Random, plan: Plan, n: int, stages: list[list[str]]
) -> Iterator[dict[str, Any]]:
    customer = f"customer-{plan.seed}-{n}"
    at = _arrival(rng, plan)
    number = 0

    def event(name: str, at: datetime, customer: str = customer) -> dict[str, Any]:
        nonlocal number
        number += 1
        return {
            "type": "track",
            "messageId": f"{customer}-{number}",
            "userId": customer,
            "event": name,
            "timestamp": at.isoformat(),
            "properties": {"synthetic": True},
        }

    if plan.personas:
        number += 1
        yield {
            "type": "identify",
            "messageId": f"{customer}-{number}",
            "userId": customer,
            "timestamp": at.isoformat(),
            "traits": {"persona": rng.choice(plan.personas)},
        }
    position = 0
    while True:
        yield event(rng.choice(stages[position]), at)
        for _ in range(_poisson(rng, REVISITS_MEAN)):
            yield event(rng.choice(stages[position]), at + _delay(rng, hours=6))
        if position + 1 >= len(stages) or rng.random() > plan.move_on(position, at):
            break
        position += 2 if rng.random() < SKIP and position + 2 < len(stages) else 1
        at += _delay(rng, hours=30)


def _arrival(rng: random.Random, plan: Plan) -> datetime:
    while True:
        at = plan.start + timedelta(seconds=rng.uniform(0, plan.days * 86400))
        if at.weekday() < 5 or rng.random() < 0.6:
            return at


def _delay(rng: random.Random, *, hours: float) -> timedelta:
    """Mostly hours, sometimes weeks: a long tail that crosses the conversion window."""
    return timedelta(seconds=rng.expovariate(1 / (hours * 3600)) + 60)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1)
    while total < mean:
        count += 1
        total += rng.expovariate(1)
    return count


async def send_demo_events(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    customers: int = 600,
    days: int = 56,
    seed: int = 7,
    personas: Sequence[str] = (),
    now: datetime | None = None,
    drop: tuple[int, int, float] | None = None,
) -> IngestResult:
    """Send `days` (ending now) of synthetic events for the journey's touchpoints through the
    ingestion use case; eight weeks by default, so that older cohorts' windows have closed.
    `drop` (stage position, days ago, chance of moving on) makes that stage lose customers."""
    stages = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey_id
    )
    touchpoints = await touchpoint_service.list_for_stages(
        session, workspace_id=workspace_id, stage_ids=[s.id for s in stages]
    )
    stage_events = [[n for t in touchpoints[s.id] for n in t.event_names] for s in stages]
    end = (now or datetime.now(UTC)) - timedelta(hours=1)
    plan = Plan(
        stage_events,
        customers,
        end - timedelta(days=days),
        days,
        seed,
        personas,
        Drop(drop[0], end - timedelta(days=drop[1]), drop[2]) if drop else None,
    )
    batch: list[dict[str, Any]] = []
    result = IngestResult()
    for item in events(plan):
        if datetime.fromisoformat(item["timestamp"]) <= end:  # nothing from the future
            batch.append(item)
        if len(batch) >= BATCH_EVENTS_MAX:
            result.results.extend((await _send(session, workspace_id, batch)).results)
            batch = []
    result.results.extend((await _send(session, workspace_id, batch)).results)
    return result


async def _send(
    session: AsyncSession, workspace_id: uuid.UUID, batch: list[dict[str, Any]]
) -> IngestResult:
    return await event_service.ingest(session, workspace_id=workspace_id, events=batch)
