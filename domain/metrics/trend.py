"""Stage metrics for the last N days against the N days before: what `/journey metrics`
shows. The earlier period is evaluated as of N days ago, so both cohorts had the same time to
convert and the change compares like with like; both are read in one snapshot."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import stage as stage_by_name
from domain.journey.models import Journey
from domain.metrics import stage_metrics
from domain.metrics.evaluation import asked, evaluation
from domain.metrics.figures import StageFigures, StageMetrics
from domain.metrics.snapshot import snapshot
from domain.validation import in_range
from domain.vocabulary import Channel

DAYS_MAX = 366


@dataclass(frozen=True)
class FiguresChange:
    """This period's figures minus the period before's; None where either is. Rates are
    fractions (0.05 is 5 percentage points), times in seconds."""

    entered: int
    converted: int | None
    dropped: int | None
    pending: int | None
    conversion_rate: float | None
    drop_off_rate: float | None
    median_time_to_convert: float | None
    p90_time_to_convert: float | None


def _minus(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def _minus_count(now: int | None, before: int | None) -> int | None:
    return None if now is None or before is None else now - before


@dataclass(frozen=True)
class StageTrend:
    current: StageFigures
    previous: StageFigures

    @property
    def change(self) -> FiguresChange:
        now, before = self.current, self.previous
        return FiguresChange(
            entered=now.entered - before.entered,
            converted=_minus_count(now.converted, before.converted),
            dropped=_minus_count(now.dropped, before.dropped),
            pending=_minus_count(now.pending, before.pending),
            conversion_rate=_minus(now.conversion_rate, before.conversion_rate),
            drop_off_rate=_minus(now.drop_off_rate, before.drop_off_rate),
            median_time_to_convert=_minus(
                now.median_time_to_convert, before.median_time_to_convert
            ),
            p90_time_to_convert=_minus(now.p90_time_to_convert, before.p90_time_to_convert),
        )


@dataclass(frozen=True)
class RecentMetrics:
    journey: Journey
    days: int
    start: date  # local days [start, end) in the journey's time zone
    end: date
    stages: list[StageTrend]  # every stage, in order
    stage_id: uuid.UUID | None  # the stage asked about, if one was


async def recent(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey: str | None,
    stage: str | None = None,
    days: int = 7,
    now: datetime | None = None,
) -> RecentMetrics:
    """The journey's stage figures for the last `days` local days (today included) and for
    the `days` before them; `stage` (forgiving lookup) picks one stage to focus on."""
    in_range(days, field="days", label="The period (days)", low=1, high=DAYS_MAX)
    found, focus = await stage_by_name.find_in_journey(
        session, workspace_id=workspace_id, journey=journey, stage=stage
    )
    now = now or datetime.now(UTC)
    end = now.astimezone(ZoneInfo(found.timezone)).date() + timedelta(days=1)
    start = end - timedelta(days=days)
    current, previous = await against_the_period_before(
        session,
        workspace_id=workspace_id,
        journey_id=found.id,
        start=start,
        end=end,
        as_of=now,
        with_reach=False,
    )
    return RecentMetrics(
        journey=found,
        days=days,
        start=start,
        end=end,
        stages=[StageTrend(c, p) for c, p in zip(current.stages, previous.stages, strict=True)],
        stage_id=focus.id if focus else None,
    )


async def against_the_period_before(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    start: date,
    end: date,
    as_of: datetime,
    persona_id: uuid.UUID | None = None,
    channel: Channel | str | None = None,
    with_reach: bool = True,
) -> tuple[StageMetrics, StageMetrics]:
    """Stage metrics for [start, end) as of `as_of` (with touchpoint reach when `with_reach`),
    and for as many days before evaluated as many days earlier, so that both cohorts had the
    same time to convert (stages only: nothing compares reach); one snapshot, the journey and
    its stages read once."""
    shift = end - start
    current_question, previous_question = [
        asked(start - back, end - back, as_of - back, persona_id=persona_id, channel=channel)
        for back in (timedelta(0), shift)
    ]
    async with snapshot(session, workspace_id=workspace_id) as reading:
        found = await evaluation(
            reading, workspace_id=workspace_id, journey_id=journey_id, asked=current_question
        )
        current = await stage_metrics.read_evaluation(reading, found, with_reach=with_reach)
        previous = await stage_metrics.read_evaluation(
            reading, found.asking(previous_question), with_reach=False
        )
    return current, previous
