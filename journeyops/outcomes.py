"""The worker's follow-ups on what people did: the outcome of done actions
(domain.action.outcome) and the proof of alerts resolved by hand (domain.alert.proof).

Each action and each alert is settled in a transaction of its own, so one that fails rolls
back alone (logged) and the others are still settled; it is tried again on the next run. The
job runs at the alert evaluation's interval: cohorts mature daily, so more often finds nothing
new. `alerts evaluate --dry-run` runs the same follow-up with `apply=False`: every decision
is made and reported (`FollowUp.seen`), nothing is written.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.action import outcome as action_outcome
from domain.alert import proof as alert_proof
from domain.alert.before_after import BeforeAfter
from domain.alert.evaluation import CohortSource
from infrastructure.runtime import Runtime
from journeyops.worker import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seen:
    """What the follow-up found for one action or alert, settled or not."""

    kind: str  # "action_outcome" or "alert_proof"
    workspace_id: Any
    item_id: Any  # the action's or the alert's id
    step: str  # the verdict (action) or the proof step (alert), "not_yet"/"wait" included
    result: BeforeAfter


@dataclass
class FollowUp:
    measured: list[Any] = field(default_factory=list)  # actions whose outcome was stored
    proved: list[Any] = field(default_factory=list)  # alerts whose proof was settled
    seen: list[Seen] = field(default_factory=list)  # every one looked at, in order
    failed: int = 0


class FollowUpsFailed(Exception):
    def __init__(self, follow_up: FollowUp):
        super().__init__(f"{follow_up.failed} follow-up(s) failed; tried again next run")
        self.follow_up = follow_up


async def follow_up(
    runtime: Runtime, *, cohorts: CohortSource, at: datetime | None = None, apply: bool = True
) -> FollowUp:
    """Measure every done action's outcome and check every hand resolution that can be, as
    of `at` (default now); with `apply=False` only say what would be settled."""
    at = at or datetime.now(UTC)
    done = FollowUp()
    async with runtime.transaction() as session:
        actions = await action_outcome.due(session)
        alerts = await alert_proof.due(session)

    async def measure(session: AsyncSession, workspace_id, action_id):
        result = await action_outcome.measure(
            session,
            workspace_id=workspace_id,
            action_id=action_id,
            at=at,
            cohorts=cohorts,
            apply=apply,
        )
        if result is None:
            return
        done.seen.append(
            Seen("action_outcome", workspace_id, action_id, result.verdict.value, result)
        )
        if apply and result.verdict.known:
            done.measured.append(action_id)

    async def prove(session: AsyncSession, workspace_id, alert_id):
        proof = await alert_proof.check(
            session,
            workspace_id=workspace_id,
            alert_id=alert_id,
            at=at,
            cohorts=cohorts,
            apply=apply,
        )
        if proof is None:
            return
        done.seen.append(
            Seen("alert_proof", workspace_id, alert_id, proof.step.value, proof.result)
        )
        if apply and proof.step is not alert_proof.ProofStep.WAIT:
            done.proved.append(alert_id)

    for settle, due in ((measure, actions), (prove, alerts)):
        for workspace_id, item_id in due:
            await _alone(runtime, settle, workspace_id, item_id, done)
    return done


async def _alone(
    runtime: Runtime,
    settle: Callable[..., Awaitable[None]],
    workspace_id,
    item_id,
    done: FollowUp,
) -> None:
    try:
        async with runtime.transaction() as session:
            await settle(session, workspace_id, item_id)
    except Exception:
        log.exception("follow-up of %s failed; its changes were rolled back", item_id)
        done.failed += 1


def follow_up_job(*, cohorts: CohortSource, every: timedelta) -> Job:
    async def run(runtime: Runtime) -> FollowUp:
        result = await follow_up(runtime, cohorts=cohorts)
        if result.failed:
            raise FollowUpsFailed(result)
        return result

    return Job("follow-ups", every, run)
