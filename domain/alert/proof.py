"""Resolve with proof: after a person resolves an alert, is the stage really back?

The worker keeps testing the stage on the cohorts that entered after the resolution against
the baseline the alert fired on (stored on it), with the before/after comparison of
domain.alert.before_after. Once enough cohorts have matured it settles, once:

- conversion is not worse than that baseline beyond chance: "back to the baseline (x % vs
  y %)" in the alert's thread;
- it is still worse: the alert opens again (activity logged, messages updated, the reason in
  the thread), unless a newer alert of its rule is already open at the stage, which then
  carries the news (the reply says so);
- too few customers entered since to tell: the thread says it could not be confirmed.

What to do is decided by `proof_step` and said by `proof_reply`, pure functions, so a dry run
or a backtest reaching the same figures makes the same decision. `check` locks the alert's
row and checks again that it still waits: two workers, or a retry, settle it once. A later
resolution by hand (after a reopening) is checked afresh. With `apply=False` (a dry run)
`check` only reads: the same decision, nothing locked, stored or queued.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert import service as alert_service
from domain.alert.before_after import (
    BeforeAfter,
    Verdict,
    after_days,
    compare_before_after,
    record,
)
from domain.alert.evaluation import CohortSource
from domain.alert.models import PROOF_DUE, Alert, AlertStatus
from domain.alert.statistics import Cohort, Days, Proportion
from domain.alert_rule import service as rule_service
from domain.journey import service as journey_service
from domain.notification import service as notification_service


class ProofStep(StrEnum):
    WAIT = "wait"  # not enough matured cohorts since the resolution yet
    BACK = "back"  # not worse than the baseline it fired on: the resolution holds
    REOPEN = "reopen"  # still worse: open the alert again
    STILL_DOWN = "still_down"  # still worse, and a newer alert is already open
    UNKNOWN = "unknown"  # too few customers to tell, ever


def proof_step(result: BeforeAfter, *, newer_alert_open: bool) -> ProofStep:
    """What the comparison of the cohorts since the resolution means for the alert."""
    match result.verdict:
        case Verdict.NOT_YET:
            return ProofStep.WAIT
        case Verdict.TOO_FEW:
            return ProofStep.UNKNOWN
        case Verdict.WORSE:
            return ProofStep.STILL_DOWN if newer_alert_open else ProofStep.REOPEN
    return ProofStep.BACK


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def proof_reply(step: ProofStep, result: BeforeAfter) -> str:
    """The note in the alert's thread (nothing is said while waiting)."""
    figures = f"{_percent(result.after.rate)} vs {_percent(result.before.rate)}"
    since = f"on {result.after.entered:,} customers who entered since it was resolved"
    match step:
        case ProofStep.BACK:
            return f":white_check_mark: Back to the baseline ({figures}) {since}. {result.sentence}"
        case ProofStep.REOPEN:
            return (
                f":rotating_light: Reopened: conversion is still below the baseline it fired "
                f"on ({figures}) {since}. {result.sentence}"
            )
        case ProofStep.STILL_DOWN:
            return (
                f":rotating_light: Still below the baseline it fired on ({figures}) {since}; "
                f"a newer alert at this stage is open. {result.sentence}"
            )
        case ProofStep.UNKNOWN:
            return f":grey_question: Could not confirm the recovery. {result.sentence}"
    return ""


async def due(session: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(workspace id, alert id) of alerts resolved by hand and not yet settled since, oldest
    resolution first: all of them (ids only, through the partial index)."""
    rows = await session.execute(
        select(Alert.workspace_id, Alert.id)
        .where(Alert.status == AlertStatus.RESOLVED, text(PROOF_DUE))
        .order_by(Alert.resolved_at)
    )
    return [(workspace_id, alert_id) for workspace_id, alert_id in rows]


@dataclass(frozen=True)
class Proof:
    alert: Alert
    step: ProofStep
    result: BeforeAfter


async def check(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID,
    at: datetime,
    cohorts: CohortSource,
    apply: bool = True,
) -> Proof | None:
    """Test the stage since the alert's resolution, as of `at`, and act once it is settled
    (unless `apply` is false). None when the alert no longer waits (settled meanwhile,
    reopened, or another worker holds it right now)."""
    waiting = select(Alert).where(
        Alert.workspace_id == workspace_id,
        Alert.id == alert_id,
        Alert.status == AlertStatus.RESOLVED,
        text(PROOF_DUE),
    )
    alert = await session.scalar(waiting.with_for_update(skip_locked=True) if apply else waiting)
    if alert is None or alert.resolved_at is None:
        return None
    rule = await rule_service.get(session, workspace_id=workspace_id, rule_id=alert.rule_id)
    journey = await journey_service.get(
        session, workspace_id=workspace_id, journey_id=alert.journey_id
    )
    # Judged as the alert was: conversion within the alert window it fired with.
    policy = replace(
        rule_service.policy(rule, journey), alert_window=timedelta(hours=alert.alert_window_hours)
    )
    after = after_days(alert.resolved_at, policy, at=at)
    series: Sequence[Cohort] = []
    if len(after) >= policy.recent_days:  # before that, no need to read: it is "not yet"
        read = await cohorts(
            session,
            workspace_id=workspace_id,
            journey_id=alert.journey_id,
            stage_ids=[alert.stage_id],
            days=Days(after.first, after.last),
            alert_window=policy.alert_window,
            as_of=at,
        )
        series = read[alert.stage_id]
    result = compare_before_after(
        series,
        moment=alert.resolved_at,
        policy=policy,
        at=at,
        before=Proportion(alert.baseline_entered, alert.baseline_converted),
    )
    newer = None
    if result.verdict is Verdict.WORSE:
        newer = await alert_service.unresolved_at_stage(session, alert=alert)
    step = proof_step(result, newer_alert_open=newer is not None)
    if step is ProofStep.WAIT or not apply:
        return Proof(alert, step, result)
    alert.proof = record(result) | {"step": step.value, "checked_at": at.isoformat()}
    alert.proof_checked_at = at
    reply = proof_reply(step, result)
    if step is ProofStep.REOPEN:
        await alert_service.reopen(session, alert=alert, reason=reply)
        # Whenever a person resolves it again, that resolution is checked afresh.
        alert.proof_checked_at = None
    else:
        await notification_service.reply_to_alert(
            session, workspace_id=workspace_id, alert_id=alert.id, text=reply
        )
    return Proof(alert, step, result)
