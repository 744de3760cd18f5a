"""Evaluate a rule as of a time: decide for each stage it watches, then fire or resolve.

The cohort figures come from a `CohortSource` (stage metrics provide it: conversion within the
alert window, and within each shorter horizon, for each day's entrants, broken down by persona
and entry channel). With
`apply=False` nothing is written (`alerts evaluate --dry-run`); `backtest` replays a rule over
past days without writing either; `detectable_falls` says, from the same cohorts and windows,
the smallest fall each watched stage can show (domain.alert.detectable).
"""

import uuid
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert import service as alert_service
from domain.alert.decision import Decision, Policy, Step, decide, judge, replay
from domain.alert.detectable import SMALL_STAGE_POINTS, DetectableFall, detectable_fall
from domain.alert.models import Alert
from domain.alert.routing import channels_for_stage
from domain.alert.statistics import Cohort, Days
from domain.alert_rule import service as rule_service
from domain.alert_rule.models import AlertRule
from domain.errors import ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.validation import storable_time

BACKTEST_DAYS_MAX = 366


class CohortSource(Protocol):
    """Daily cohorts of a stage for `days`, evaluated as of `as_of` (events after it ignored).

    Each cohort counts the customers whose first reach of the stage fell on that day (in the
    journey's time zone) and those of them who reached a later stage within `alert_window`
    of their entry: conversion as docs/metrics.md defines it ("Converted, dropped, pending"),
    with W = `alert_window` (docs/alerts.md, "What is compared"). Its `sooner` counts the same
    customers within each horizon of domain.alert.horizon.ELAPSED_HOURS shorter than the
    alert window (the stage's time-to-convert, and young cohorts judged early). Its `segments`
    split the same customers by `Segment("persona", persona name)` and by `Segment("channel",
    entry channel)`, so the alert can name what drives a fall.
    """

    def __call__(
        self,
        session: AsyncSession,
        *,
        workspace_id: uuid.UUID,
        journey_id: uuid.UUID,
        stage_id: uuid.UUID,
        days: Days,
        alert_window: timedelta,
        as_of: datetime,
    ) -> Awaitable[Sequence[Cohort]]: ...


@dataclass(frozen=True)
class Outcome:
    rule_id: uuid.UUID
    stage_id: uuid.UUID
    stage_name: str
    decision: Decision
    alert: Alert | None  # the alert fired or resolved (None on hold or in a dry run)


async def evaluate_rule(
    session: AsyncSession,
    *,
    rule: AlertRule,
    at: datetime,
    cohorts: CohortSource,
    apply: bool = True,
) -> list[Outcome]:
    """Decide for every stage the rule watches as of `at`; fire or resolve unless dry."""
    journey = await journey_service.get(
        session, workspace_id=rule.workspace_id, journey_id=rule.journey_id
    )
    policy = rule_service.policy(rule, journey)
    outcomes = []
    for stage in await rule_service.stages_watched(session, rule=rule):
        series = await _judged_cohorts(
            session, rule=rule, stage_id=stage.id, policy=policy, at=at, cohorts=cohorts
        )
        latest, state = await alert_service.stage_state(session, rule=rule, stage_id=stage.id)
        decision = decide(series, state, policy, at=at)
        alert = None
        if apply and decision.step is Step.FIRE:
            alert = await alert_service.fire(
                session,
                rule=rule,
                stage_id=stage.id,
                evaluation=decision.evaluation,
                at=at,
                channel_ids=await channels_for_stage(
                    session,
                    workspace_id=rule.workspace_id,
                    journey_id=rule.journey_id,
                    stage_id=stage.id,
                ),
            )
        elif apply and decision.step is Step.RESOLVE and latest is not None:
            alert = await alert_service.resolve_recovered(
                session,
                workspace_id=rule.workspace_id,
                alert_id=latest.id,
                reason=decision.reason,
                at=at,
            )
        outcomes.append(Outcome(rule.id, stage.id, stage.name, decision, alert))
    return outcomes


async def _judged_cohorts(
    session: AsyncSession,
    *,
    rule: AlertRule,
    stage_id: uuid.UUID,
    policy: Policy,
    at: datetime,
    cohorts: CohortSource,
) -> Sequence[Cohort]:
    """The stage's cohorts of the baseline and recent windows an evaluation as of `at` judges."""
    return await cohorts(
        session,
        workspace_id=rule.workspace_id,
        journey_id=rule.journey_id,
        stage_id=stage_id,
        days=policy.reading_days(at),
        alert_window=policy.alert_window,
        as_of=at,
    )


@dataclass(frozen=True)
class StageDetectableFall:
    stage_id: uuid.UUID
    stage_name: str
    fall: DetectableFall

    @property
    def warning(self) -> str | None:
        """What a new rule says of a stage too small to show a fall of SMALL_STAGE_POINTS."""
        if self.fall.shows(SMALL_STAGE_POINTS):
            return None
        return (
            f"{self.stage_name} cannot show a fall of {SMALL_STAGE_POINTS:g} points now. "
            f"{self.fall.reason}"
        )


async def detectable_falls(
    session: AsyncSession,
    *,
    rule: AlertRule,
    at: datetime,
    cohorts: CohortSource,
    stage_id: uuid.UUID | None = None,
) -> list[StageDetectableFall]:
    """For every stage the rule watches (or only `stage_id`, if it watches it), the smallest
    fall it would fire on as of `at`, from the very cohorts and windows an evaluation as of
    `at` judges."""
    journey = await journey_service.get(
        session, workspace_id=rule.workspace_id, journey_id=rule.journey_id
    )
    policy = rule_service.policy(rule, journey)
    result = []
    for stage in await rule_service.stages_watched(session, rule=rule):
        if stage_id is not None and stage.id != stage_id:
            continue
        series = await _judged_cohorts(
            session, rule=rule, stage_id=stage.id, policy=policy, at=at, cohorts=cohorts
        )
        judged = judge(series, policy, at=at, grow=False).comparison
        fall = detectable_fall(
            baseline_entered=judged.baseline.entered,
            recent_entered=judged.recent.entered,
            baseline_rate=judged.baseline.rate,
            thresholds=policy.per_test,
        )
        result.append(StageDetectableFall(stage.id, stage.name, fall))
    return result


def small_stage_warnings(falls: Iterable[StageDetectableFall]) -> list[str]:
    """For a rule just created: the watched stages on which it could miss a 10-point fall."""
    return [fall.warning for fall in falls if fall.warning is not None]


@dataclass(frozen=True)
class BacktestEvent:
    stage_id: uuid.UUID
    stage_name: str
    at: datetime
    decision: Decision


async def backtest(
    session: AsyncSession,
    *,
    rule: AlertRule,
    first_day: date,
    last_day: date,
    cohorts: CohortSource,
    hour: int = 6,
) -> list[BacktestEvent]:
    """Each time the rule would have fired or resolved itself, evaluated daily at `hour` (in
    the journey's time zone) from `first_day` to `last_day`; nothing is written."""
    storable_time(first_day, field="from", label="The first day")
    storable_time(last_day, field="to", label="The last day")
    if first_day > last_day:
        raise ValidationError("The first day must not be after the last.", field="from")
    if (last_day - first_day).days >= BACKTEST_DAYS_MAX:
        raise ValidationError(
            f"A backtest covers at most {BACKTEST_DAYS_MAX} days; split the range.",
            field="to",
            code=ErrorCode.OUT_OF_RANGE,
        )
    journey = await journey_service.get(
        session, workspace_id=rule.workspace_id, journey_id=rule.journey_id
    )
    policy = rule_service.policy(rule, journey)
    zone = ZoneInfo(journey.timezone)
    times = [
        datetime.combine(first_day + timedelta(days=i), time(hour), zone)
        for i in range((last_day - first_day).days + 1)
    ]
    # One fetch per stage: a matured cohort's figures are the same as of any later time.
    days = Days(policy.reading_days(times[0]).first, policy.reading_days(times[-1]).last)
    events = []
    for stage in await rule_service.stages_watched(session, rule=rule):
        series = await cohorts(
            session,
            workspace_id=rule.workspace_id,
            journey_id=rule.journey_id,
            stage_id=stage.id,
            days=days,
            alert_window=policy.alert_window,
            as_of=times[-1],
        )
        events += [
            BacktestEvent(stage.id, stage.name, e.at, e.decision)
            for e in replay(series, policy, times)
        ]
    return sorted(events, key=lambda e: (e.at, e.stage_name))
