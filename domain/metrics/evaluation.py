"""One evaluation of stage metrics, as a reader is asked for it: a journey, a period of local
days, an evaluation time and filters, checked and turned into the UTC instants the SQL needs
(docs/metrics.md: "Periods", "The evaluation time T")."""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.metrics.definitions import SECONDS_PER_DAY
from domain.metrics.periods import period
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.validation import one_of, storable_time
from domain.vocabulary import Channel

PERIOD_DAYS_MAX = 731


@dataclass(frozen=True, slots=True)
class Filters:
    persona_id: uuid.UUID | None = None
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class Asked:
    """What a reader was asked, checked before anything is read."""

    start: date
    end: date
    as_of: datetime
    filters: Filters


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An evaluation of one journey: the period as UTC instants and everything the SQL needs."""

    journey: Journey
    stages: list[Stage]
    start: date
    end: date
    low: datetime
    high: datetime
    as_of: datetime
    filters: Filters

    @property
    def window_seconds(self) -> float:
        return float(self.journey.conversion_window_days * SECONDS_PER_DAY)

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.journey.conversion_window_days)

    def asking(self, asked: "Asked") -> "Evaluation":
        """The same journey and stages, read once, evaluated for another question."""
        low, high = period(asked.start, asked.end, self.journey.timezone)
        return replace(
            self,
            start=asked.start,
            end=asked.end,
            low=low,
            high=high,
            as_of=asked.as_of,
            filters=asked.filters,
        )


def asked(
    start: date,
    end: date,
    as_of: datetime | None,
    *,
    persona_id: uuid.UUID | None = None,
    channel: Channel | str | None = None,
) -> Asked:
    """The period, evaluation time (default now; UTC when it has no offset) and filters,
    refused when they cannot be evaluated."""
    storable_time(start, field="from", label="The period's first day")
    storable_time(end, field="to", label="The period's end")
    if as_of is not None:
        storable_time(as_of, field="asOf", label="The evaluation time (asOf)")
    if end <= start:
        raise ValidationError("The period must end after it starts.", field="to")
    if end - start > timedelta(days=PERIOD_DAYS_MAX):
        raise ValidationError(
            f"A period spans at most {PERIOD_DAYS_MAX} days; ask for a shorter one.",
            field="to",
            code=ErrorCode.OUT_OF_RANGE,
        )
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    filters = Filters(
        persona_id=persona_id,
        channel=one_of(Channel, channel, field="channel", label="Channel") if channel else None,
    )
    return Asked(start, end, as_of or datetime.now(UTC), filters)


async def evaluation(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID, asked: Asked
) -> Evaluation:
    """The evaluation of the journey (NotFound when there is none) with its stages, in order."""
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    stages = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey_id
    )
    low, high = period(asked.start, asked.end, journey.timezone)
    return Evaluation(
        journey, stages, asked.start, asked.end, low, high, asked.as_of, asked.filters
    )
