"""An action's measured outcome: once it is done, its stage's conversion after it against
before it (domain.alert.before_after), said once in the action's thread, in the owning team's
channel and to everyone who raised what it addressed (docs/alerts.md,
"The outcome of a done action").

The worker asks `due` for done actions on a stage still without an outcome (the partial index
ix_action_outcome_due), then `measure`s each in a transaction of its own. `measure` locks the
action's row and checks again that no outcome is stored: two workers, or a retry after a
failure, store and announce it once, because the outcome and its messages are written in the
same transaction as the check. With `apply=False` (a dry run) it only reads: the same
comparison, nothing locked, stored or queued.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.action.models import Action
from domain.action.raisers import Raiser, about, raisers
from domain.alert.before_after import (
    BeforeAfter,
    Verdict,
    after_days,
    before_days,
    compare_before_after,
    record,
)
from domain.alert.evaluation import CohortSource
from domain.alert.statistics import Cohort, Days
from domain.alert_rule import service as rule_service
from domain.journey import service as journey_service
from domain.notification import service as notification_service
from domain.notification.text import escape
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.team import service as team_service
from domain.vocabulary import ActionStatus


async def due(session: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(workspace id, action id) of done actions on a stage still waiting for their outcome,
    longest done first: all of them (ids only, through the partial index), so that actions
    waiting for days to mature never keep newer ones from their turn."""
    stage, later = aliased(Stage), aliased(Stage)
    rows = await session.execute(
        select(Action.workspace_id, Action.id)
        .join(stage, (stage.workspace_id == Action.workspace_id) & (stage.id == Action.stage_id))
        .where(
            Action.status == ActionStatus.DONE,
            Action.outcome.is_(None),
            Action.done_at.is_not(None),
            # The last stage has no conversion to measure.
            exists().where(
                later.workspace_id == stage.workspace_id,
                later.journey_id == stage.journey_id,
                later.position > stage.position,
            ),
        )
        .order_by(Action.done_at)
    )
    return [(workspace_id, action_id) for workspace_id, action_id in rows]


async def measure(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    action_id: uuid.UUID,
    at: datetime,
    cohorts: CohortSource,
    apply: bool = True,
) -> BeforeAfter | None:
    """Compare the stage after the action with before it, as of `at`; once the verdict is
    known, store it and queue its messages (unless `apply` is false). None when the action
    is no longer waiting (its outcome stored meanwhile, or another worker holds it right
    now)."""
    waiting = select(Action).where(
        Action.workspace_id == workspace_id,
        Action.id == action_id,
        Action.status == ActionStatus.DONE,
        Action.outcome.is_(None),
    )
    action = await session.scalar(waiting.with_for_update(skip_locked=True) if apply else waiting)
    if action is None or action.done_at is None or action.stage_id is None:
        return None
    journey = await journey_service.get(
        session, workspace_id=workspace_id, journey_id=action.journey_id
    )
    policy = await rule_service.policy_for_stage(session, journey=journey, stage_id=action.stage_id)
    after = after_days(action.done_at, policy, at=at)
    series: Sequence[Cohort] = []
    if len(after) >= policy.recent_days:  # before that, no need to read: it is "not yet"
        read = await cohorts(
            session,
            workspace_id=workspace_id,
            journey_id=action.journey_id,
            stage_ids=[action.stage_id],
            days=Days(before_days(action.done_at, policy).first, after.last),
            alert_window=policy.alert_window,
            as_of=at,
        )
        series = read[action.stage_id]
    result = compare_before_after(series, moment=action.done_at, policy=policy, at=at)
    if not result.verdict.known or not apply:
        return result
    action.outcome, action.outcome_measured_at = record(result), at
    await _announce(session, action, result)
    return result


async def _announce(session: AsyncSession, action: Action, result: BeforeAfter) -> None:
    assert action.stage_id is not None
    stage = await stage_service.get(
        session, workspace_id=action.workspace_id, stage_id=action.stage_id
    )
    title = escape(action.title)
    said = f":bar_chart: Outcome of *{title}* at {escape(stage.name)}: {result.sentence}"
    await notification_service.reply_to_action(
        session, workspace_id=action.workspace_id, action_id=action.id, text=said
    )
    if action.owner_team_id is not None:
        team = await team_service.get(
            session, workspace_id=action.workspace_id, team_id=action.owner_team_id
        )
        if team.slack_channel_id:
            await notification_service.post_text(
                session,
                workspace_id=action.workspace_id,
                channel_id=team.slack_channel_id,
                text=said,
            )
    for raiser in await raisers(session, action):
        await notification_service.direct(
            session,
            workspace_id=action.workspace_id,
            user_id=raiser.user_id,
            text=direct_message(raiser, title=action.title, stage=stage.name, result=result),
            action_id=action.id,
        )


def direct_message(raiser: Raiser, *, title: str, stage: str, result: BeforeAfter) -> str:
    """ "Your observation about shipping costs at Checkout led to *Show shipping on the product
    page*; conversion at Decision went from 26.4 % to 31.0 %." (mrkdwn, user text escaped)."""
    led_to = f"{about(raiser)} led to *{escape(title)}*"
    if result.verdict is Verdict.TOO_FEW:
        return f"{led_to}; too few customers passed {escape(stage)} to measure its effect."
    before, after = result.before.rate * 100, result.after.rate * 100
    judged = {
        Verdict.BETTER: "better, beyond chance",
        Verdict.WORSE: "worse, beyond chance",
        Verdict.NO_CHANGE: "no change beyond chance",
    }[result.verdict]
    return (
        f"{led_to}; conversion at {escape(stage)} went from {before:.1f} % to {after:.1f} % "
        f"({judged})."
    )
