"""Stage metrics for the last N days against the N days before: what `/journey metrics`
shows. The earlier period is evaluated as of N days ago, so both cohorts had the same time to
convert and the change compares like with like."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import stage as stage_by_name
from domain.journey.models import Journey
from domain.metrics import service as metrics_service
from domain.metrics.service import StageFigures
from domain.validation import in_range

DAYS_MAX = 366


@dataclass(frozen=True)
class StageTrend:
    current: StageFigures
    previous: StageFigures


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
    current, previous = [
        await metrics_service.stage_metrics(
            session,
            workspace_id=workspace_id,
            journey_id=found.id,
            start=start - timedelta(days=shift),
            end=end - timedelta(days=shift),
            as_of=now - timedelta(days=shift),
        )
        for shift in (0, days)
    ]
    return RecentMetrics(
        journey=found,
        days=days,
        start=start,
        end=end,
        stages=[StageTrend(c, p) for c, p in zip(current.stages, previous.stages, strict=True)],
        stage_id=focus.id if focus else None,
    )
