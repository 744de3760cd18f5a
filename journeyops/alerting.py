"""The worker's alert evaluation: every enabled rule, each in a transaction of its own.

A rule that fails (a bug, a lost connection) rolls back alone: its alerts and their outgoing
messages are never half-written, and the other rules are still evaluated. The job is listed in
`journeyops.jobs`, at the interval `JOURNEYOPS_ALERT_EVALUATION_EVERY` sets.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.alert.evaluation import CohortSource, Outcome, evaluate_rule
from domain.alert_rule import service as alert_rule_service
from domain.errors import NotFound
from infrastructure import telemetry
from infrastructure.runtime import Runtime
from journeyops.worker import Job

log = logging.getLogger(__name__)


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
    evaluation = Evaluation()
    for workspace_id, rule_id in rules:
        try:
            async with runtime.transaction() as session:
                try:
                    rule = await alert_rule_service.get(
                        session, workspace_id=workspace_id, rule_id=rule_id
                    )
                except NotFound:  # deleted since
                    continue
                outcomes = await evaluate_rule(
                    session, rule=rule, at=at, cohorts=cohorts, apply=apply
                )
        except Exception:
            log.exception("alert rule %s failed to evaluate; its changes were rolled back", rule_id)
            evaluation.failed_rules.append(rule_id)
            telemetry.ALERT_EVALUATIONS.labels("failed").inc()
            continue
        evaluation.outcomes += outcomes
        for outcome in outcomes:
            telemetry.ALERT_EVALUATIONS.labels(outcome.decision.step.value).inc()
    return evaluation


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
