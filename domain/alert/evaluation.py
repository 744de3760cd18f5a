"""Evaluate a rule as of a time: decide for each stage it watches, then fire or resolve.

The cohort figures come from a `CohortSource` (stage metrics provide it: conversion within the
alert window, and within each shorter horizon, for each day's entrants, broken down by persona
and entry channel). With
`apply=False` nothing is written (`alerts evaluate --dry-run`); `backtest` replays a rule over
past days without writing either, as each alert that fires does over the 90 days before it
(its track record); `detectable_falls` says, from the same cohorts and windows,
the smallest fall each watched stage can show (domain.alert.detectable).
"""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert import service as alert_service
from domain.alert.decision import Decision, Policy, Step, decide, judge, replay
from domain.alert.detectable import SMALL_STAGE_POINTS, DetectableFall, detectable_fall
from domain.alert.models import Alert
from domain.alert.routing import channels_for_stage
from domain.alert.statistics import Cohort, Days
from domain.alert.track_record import (
    EVALUATION_HOUR,
    TrackRecord,
    backtest_times,
    cohort_days,
    daily_times,
    track_record,
)
from domain.alert_rule import service as rule_service
from domain.alert_rule.models import AlertRule
from domain.errors import ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.stage import service as stage_service
from domain.validation import storable_time

BACKTEST_DAYS_MAX = 366


class CohortSource(Protocol):
    """Daily cohorts of some stages of a journey for `days`, evaluated as of `as_of` (events
    after it ignored), one list per stage asked for.

    Each cohort counts the customers whose first reach of the stage fell on that day (in the
    journey's time zone) and those of them who reached a later stage within `alert_window`
    of their entry: conversion as docs/metrics.md defines it ("Converted, dropped, pending"),
    with W = `alert_window` (docs/alerts.md, "What is compared"). Its `sooner` counts the same
    customers within each horizon of domain.alert.horizon.ELAPSED_HOURS shorter than the
    alert window (the stage's time-to-convert, and young cohorts judged early). With
    `segments`, each cohort's `segments` split the same customers by `Segment("persona",
    persona name)` and by `Segment("channel", entry channel)`, so the alert can name what
    drives a fall; only
    evaluations that fire need them, and they cost more to read. All the stages come in one
    read, so an evaluation costs the same few statements however many stages its rule
    watches.
    """

    def __call__(
        self,
        session: AsyncSession,
        *,
        workspace_id: uuid.UUID,
        journey_id: uuid.UUID,
        stage_ids: Sequence[uuid.UUID],
        days: Days,
        alert_window: timedelta,
        as_of: datetime,
        segments: bool = False,
    ) -> Awaitable[Mapping[uuid.UUID, Sequence[Cohort]]]: ...


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
    """Decide for every stage the rule watches as of `at`; fire or resolve unless dry.

    A constant number of statements whatever the number of stages while nothing changes:
    the cohorts of all the stages in one read (totals only), their alerts in one query. Where
    it fires, one more read of the stages firing splits their cohorts to name the driver, and
    one reads the cohorts of their track record (domain.alert.track_record)."""
    journey = await journey_service.get(
        session, workspace_id=rule.workspace_id, journey_id=rule.journey_id
    )
    policy = rule_service.policy(rule, journey)
    stages = await rule_service.stages_watched(session, rule=rule)
    stage_ids = [stage.id for stage in stages]
    series = await _judged_cohorts(
        session, rule=rule, stage_ids=stage_ids, policy=policy, at=at, cohorts=cohorts
    )
    states = {
        stage_id: state
        for (_rule, stage_id), state in (
            await alert_service.stage_states(
                session, workspace_id=rule.workspace_id, rule_ids=[rule.id], stage_ids=stage_ids
            )
        ).items()
    }
    decisions = {s: decide(series[s], states[s][1], policy, at=at) for s in stage_ids}
    firing = [s for s in stage_ids if decisions[s].step is Step.FIRE]
    if firing:  # the same decision again, now with the split that names the driver
        split = await _judged_cohorts(
            session,
            rule=rule,
            stage_ids=firing,
            policy=policy,
            at=at,
            cohorts=cohorts,
            segments=True,
        )
        decisions |= {s: decide(split[s], states[s][1], policy, at=at) for s in firing}
    records = (
        await _track_records(
            session, rule=rule, policy=policy, at=at, cohorts=cohorts, stage_ids=firing
        )
        if apply and firing
        else {}
    )
    outcomes = []
    for stage in stages:
        decision, (latest, _state) = decisions[stage.id], states[stage.id]
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
                track_record=records[stage.id],
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
    stage_ids: Sequence[uuid.UUID],
    policy: Policy,
    at: datetime,
    cohorts: CohortSource,
    segments: bool = False,
) -> Mapping[uuid.UUID, Sequence[Cohort]]:
    """The stages' cohorts of the baseline and recent windows an evaluation as of `at` judges."""
    return await cohorts(
        session,
        workspace_id=rule.workspace_id,
        journey_id=rule.journey_id,
        stage_ids=stage_ids,
        days=policy.reading_days(at),
        alert_window=policy.alert_window,
        as_of=at,
        segments=segments,
    )


async def _track_records(
    session: AsyncSession,
    *,
    rule: AlertRule,
    policy: Policy,
    at: datetime,
    cohorts: CohortSource,
    stage_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, TrackRecord]:
    """The track record of each stage firing as of `at`: the replay's cohorts in one read for
    all of them (not one per replayed day), their past alerts in one query."""
    history = await cohorts(
        session,
        workspace_id=rule.workspace_id,
        journey_id=rule.journey_id,
        stage_ids=stage_ids,
        days=cohort_days(policy, backtest_times(policy, at)),
        alert_window=policy.alert_window,
        as_of=at,
    )
    past = await alert_service.past_alerts(session, rule=rule, stage_ids=stage_ids)
    return {s: track_record(history[s], policy, at=at, past=past[s]) for s in stage_ids}


@dataclass(frozen=True)
class JourneyJudged:
    """The rules of one journey judged together, read-only (see `judge_journey`)."""

    held: Mapping[uuid.UUID, list[Outcome]]  # of each rule holding at every stage it watches
    to_act_on: list[AlertRule]  # rules with a stage to fire or resolve, in the order given
    cohorts: CohortSource  # answers their evaluations from the cohorts already read


async def judge_journey(
    session: AsyncSession, *, rules: Sequence[AlertRule], at: datetime, cohorts: CohortSource
) -> JourneyJudged:
    """Decide, writing nothing, for every stage each of `rules` (all of one journey) watches
    as of `at`, in a constant number of statements: the journey and its stages, the cohorts
    of every stage any rule watches in one read (one per distinct alert window and days,
    usually one), the latest alerts of every rule and stage in one query.

    A rule that holds everywhere is done (holding writes nothing). One with a stage to fire
    or resolve is then evaluated by `evaluate_rule` in a transaction of its own, which
    decides again on its alerts as they are by then, from the same cohorts."""
    workspace_id, journey_id = rules[0].workspace_id, rules[0].journey_id
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    stages = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey_id
    )
    policies = {rule.id: rule_service.policy(rule, journey) for rule in rules}
    wanted: dict[tuple[Days, timedelta], set[uuid.UUID]] = defaultdict(set)
    for rule in rules:
        key = (policies[rule.id].reading_days(at), policies[rule.id].alert_window)
        wanted[key].update(s.id for s in rule_service.watched(stages, stage_id=rule.stage_id))
    read = {
        (days, window): await cohorts(
            session,
            workspace_id=workspace_id,
            journey_id=journey_id,
            stage_ids=sorted(stage_ids),
            days=days,
            alert_window=window,
            as_of=at,
        )
        for (days, window), stage_ids in wanted.items()
    }
    states = await alert_service.stage_states(
        session,
        workspace_id=workspace_id,
        rule_ids=[rule.id for rule in rules],
        stage_ids=[stage.id for stage in stages],
    )
    held, to_act_on = {}, []
    for rule in rules:
        policy = policies[rule.id]
        series = read[policy.reading_days(at), policy.alert_window]
        outcomes = [
            Outcome(
                rule.id,
                stage.id,
                stage.name,
                decide(series[stage.id], states[rule.id, stage.id][1], policy, at=at),
                None,
            )
            for stage in rule_service.watched(stages, stage_id=rule.stage_id)
        ]
        if all(outcome.decision.step is Step.HOLD for outcome in outcomes):
            held[rule.id] = outcomes
        else:
            to_act_on.append(rule)
    return JourneyJudged(held, to_act_on, _answering_from(read, at=at, cohorts=cohorts))


def _answering_from(
    read: Mapping[tuple[Days, timedelta], Mapping[uuid.UUID, Sequence[Cohort]]],
    *,
    at: datetime,
    cohorts: CohortSource,
) -> CohortSource:
    """A source answering from the cohorts `read` as of `at`, anything else from `cohorts`,
    once: two rules firing at one stage (its own rule and the all-stages one) share the reads
    of its driver and track record."""
    asked: dict[tuple, Mapping[uuid.UUID, Sequence[Cohort]]] = {}

    async def answer(
        session: AsyncSession,
        *,
        workspace_id: uuid.UUID,
        journey_id: uuid.UUID,
        stage_ids: Sequence[uuid.UUID],
        days: Days,
        alert_window: timedelta,
        as_of: datetime,
        segments: bool = False,
    ) -> Mapping[uuid.UUID, Sequence[Cohort]]:
        known = read.get((days, alert_window), {}) if as_of == at and not segments else {}
        if all(stage_id in known for stage_id in stage_ids):
            return {stage_id: known[stage_id] for stage_id in stage_ids}
        key = (journey_id, tuple(stage_ids), days, alert_window, as_of, segments)
        if key not in asked:
            asked[key] = await cohorts(
                session,
                workspace_id=workspace_id,
                journey_id=journey_id,
                stage_ids=stage_ids,
                days=days,
                alert_window=alert_window,
                as_of=as_of,
                segments=segments,
            )
        return asked[key]

    return answer


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
    stages = [
        stage
        for stage in await rule_service.stages_watched(session, rule=rule)
        if stage_id is None or stage.id == stage_id
    ]
    series = await _judged_cohorts(
        session, rule=rule, stage_ids=[s.id for s in stages], policy=policy, at=at, cohorts=cohorts
    )
    result = []
    for stage in stages:
        judged = judge(series[stage.id], policy, at=at, grow=False).comparison
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
    hour: int = EVALUATION_HOUR,
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
    times = daily_times(first_day, last_day, journey.timezone, hour)
    stages = await rule_service.stages_watched(session, rule=rule)
    series = await cohorts(
        session,
        workspace_id=rule.workspace_id,
        journey_id=rule.journey_id,
        stage_ids=[stage.id for stage in stages],
        days=cohort_days(policy, times),
        alert_window=policy.alert_window,
        as_of=times[-1],
        segments=True,  # each fire names its driver
    )
    events = [
        BacktestEvent(stage.id, stage.name, e.at, e.decision)
        for stage in stages
        for e in replay(series[stage.id], policy, times)
    ]
    return sorted(events, key=lambda e: (e.at, e.stage_name))
