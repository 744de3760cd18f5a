"""The worker's alert evaluation: every enabled rule, each in a transaction of its own.

A rule that fails (a bug, a lost connection) rolls back alone: its alerts and their outgoing
messages are never half-written, and the other rules are still evaluated. The rules of one
journey are first judged together, read-only, in a constant number of statements
(domain.alert.evaluation.judge_journey): those that hold everywhere are done, and only a rule
with something to fire or resolve opens a transaction of its own. A journey that cannot be
judged (its cohorts unreadable) fails its rules. Journeys are evaluated a few at once. The job
is listed in `journeyops.jobs`, at the interval `JOURNEYOPS_ALERT_EVALUATION_EVERY` sets.
"""

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.alert.evaluation import CohortSource, Outcome, evaluate_rule, judge_journey
from domain.alert_rule import service as alert_rule_service
from domain.alert_rule.models import AlertRule
from domain.errors import NotFound
from infrastructure import telemetry
from infrastructure.runtime import Runtime
from journeyops.worker import Job

log = logging.getLogger(__name__)

# Journeys evaluated at once: their reads overlap on the database's cores and disk, within
# the pools (each takes a connection of the main pool and one of the readers').
JOURNEYS_AT_ONCE = 4


@dataclass
class Evaluation:
    outcomes: list[Outcome] = field(default_factory=list)
    failed_rules: list[uuid.UUID] = field(default_factory=list)  # rolled back, logged


class RulesFailed(Exception):
    """Some rules could not be evaluated (the others were): a job run or command that failed."""

    def __init__(self, evaluation: Evaluation):
        super().__init__(f"{len(evaluation.failed_rules)} alert rule(s) failed to evaluate")
        self.evaluation = evaluation


async def evaluate_all(
    runtime: Runtime,
    *,
    cohorts: CohortSource,
    at: datetime | None = None,
    apply: bool = True,
) -> Evaluation:
    """Evaluate every enabled rule of every workspace as of `at` (default now)."""
    at = at or datetime.now(UTC)
    async with runtime.transaction() as session:
        rules = await alert_rule_service.enabled_everywhere(session)
    journeys: dict[tuple[uuid.UUID, uuid.UUID], list[AlertRule]] = defaultdict(list)
    for rule in rules:
        journeys[rule.workspace_id, rule.journey_id].append(rule)
    gate = asyncio.Semaphore(JOURNEYS_AT_ONCE)
    parts = await asyncio.gather(
        *(
            _evaluate_journey(runtime, rules, at=at, cohorts=cohorts, apply=apply, gate=gate)
            for rules in journeys.values()
        )
    )
    evaluation = Evaluation()
    for part in parts:
        evaluation.outcomes += part.outcomes
        evaluation.failed_rules += part.failed_rules
    return evaluation


async def _evaluate_journey(
    runtime: Runtime,
    rules: list[AlertRule],
    *,
    at: datetime,
    cohorts: CohortSource,
    apply: bool,
    gate: asyncio.Semaphore,
) -> Evaluation:
    """One journey's rules: judged together read-only, then each rule with something to fire
    or resolve in a transaction of its own."""
    part = Evaluation()
    async with gate:
        try:
            async with runtime.transaction() as session:
                judged = await judge_journey(session, rules=rules, at=at, cohorts=cohorts)
        except Exception:
            log.exception("journey %s could not be judged", rules[0].journey_id)
            for rule in rules:
                _failed(part, rule.id)
            return part
        for rule in rules:
            if rule.id in judged.held:
                _done(part, judged.held[rule.id])
            else:
                await _evaluate(runtime, part, rule, at=at, cohorts=judged.cohorts, apply=apply)
    return part


async def _evaluate(
    runtime: Runtime,
    evaluation: Evaluation,
    rule: AlertRule,
    *,
    at: datetime,
    cohorts: CohortSource,
    apply: bool,
) -> None:
    """One rule in a transaction of its own: rolled back and logged if it fails."""
    try:
        async with runtime.transaction() as session:
            try:
                current = await alert_rule_service.get(
                    session, workspace_id=rule.workspace_id, rule_id=rule.id
                )
            except NotFound:  # deleted since
                return
            outcomes = await evaluate_rule(
                session, rule=current, at=at, cohorts=cohorts, apply=apply
            )
    except Exception:
        log.exception("alert rule %s failed to evaluate; its changes were rolled back", rule.id)
        _failed(evaluation, rule.id)
        return
    _done(evaluation, outcomes)


def _done(evaluation: Evaluation, outcomes: list[Outcome]) -> None:
    evaluation.outcomes += outcomes
    for outcome in outcomes:
        telemetry.ALERT_EVALUATIONS.labels(outcome.decision.step.value).inc()


def _failed(evaluation: Evaluation, rule_id: uuid.UUID) -> None:
    evaluation.failed_rules.append(rule_id)
    telemetry.ALERT_EVALUATIONS.labels("failed").inc()


def evaluation_job(
    *,
    cohorts: CohortSource,
    every: timedelta,
) -> Job:
    """Evaluating more often than cohorts mature (daily) adds no false alerts: the windows
    and their data are the same until a new day matures or late events arrive."""

    async def run(runtime: Runtime) -> Evaluation:
        evaluation = await evaluate_all(runtime, cohorts=cohorts)
        if evaluation.failed_rules:  # the run counts as failed; the next one tries them again
            raise RulesFailed(evaluation)
        return evaluation

    return Job("alert-evaluation", every, run)
