"""Moving an action along: start it, mark it done, drop it — one use case for every door.

    open ──start──▶ in progress ──done──▶ done
      │                 │
      ├───────done──────┘ (a quick fix needs no start)
      └──drop──▶ dropped ◀──drop── in progress

Done and dropped are final: nothing reopens an action. Done is when its outcome is measured
from (the customers who entered its stage after `done_at` against those before), so reopening
would move the line the measurement is drawn at; a dropped action stays dropped so the lists
say honestly what was given up. Work that starts again is a new action.

Moving an action to the status it has already (a double click, Slack retrying a request)
changes nothing and records nothing. Each move locks the action's row first, so concurrent
clicks from Slack and GraphQL take turns and the second sees the first one's change.

Marking an action done also, in the same transaction: resolves the alert it was created from
if that is still unresolved (through domain.alert.service.resolve, so the alert's message
updates and its activity says so, with `resolved_by_action_id` set), and queues a direct
message to everyone whose observation it addressed, or who +1'd one (domain.action.raisers).
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.action.models import Action, ActionActivity
from domain.action.raisers import about, raisers
from domain.alert import service as alert_service
from domain.alert.models import Alert, AlertStatus
from domain.errors import Conflict
from domain.lookup import get_in_workspace
from domain.notification import service as notification_service
from domain.notification.text import escape
from domain.vocabulary import ActionStatus

# Where each status may go from; done and dropped go nowhere.
ALLOWED: dict[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.OPEN: frozenset(
        {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.DROPPED}
    ),
    ActionStatus.IN_PROGRESS: frozenset({ActionStatus.DONE, ActionStatus.DROPPED}),
    ActionStatus.DONE: frozenset(),
    ActionStatus.DROPPED: frozenset(),
}
WORDS = {
    ActionStatus.OPEN: "open",
    ActionStatus.IN_PROGRESS: "in progress",
    ActionStatus.DONE: "done",
    ActionStatus.DROPPED: "dropped",
}


def logged(
    action: Action, status: ActionStatus, actor_id: str | None, actor_name: str | None
) -> ActionActivity:
    """An activity entry: `actor` moved `action` to `status`, now."""
    return ActionActivity(
        workspace_id=action.workspace_id,
        action_id=action.id,
        status=status,
        actor_id=actor_id,
        actor_name=actor_name,
        # Several entries in one transaction still sort in the order done.
        created_at=func.clock_timestamp(),
    )


def check_move(current: ActionStatus, wanted: ActionStatus) -> None:
    """Conflict when the lifecycle does not lead from `current` to `wanted` (pure)."""
    if wanted is current or wanted in ALLOWED[current]:
        return
    if current in (ActionStatus.DONE, ActionStatus.DROPPED):
        raise Conflict(
            f"This action is already {WORDS[current]}, and that is final; create a new action "
            "for work that starts again.",
            field="status",
        )
    raise Conflict(
        f"An action that is {WORDS[current]} cannot be moved back to {WORDS[wanted]}.",
        field="status",
    )


async def move(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    action_id: uuid.UUID,
    to: ActionStatus,
    actor_id: str | None,
    actor_name: str | None,
    now: datetime | None = None,
) -> Action:
    """Move the action to `to` as `actor`; already there, nothing changes."""
    action = await get_in_workspace(
        session,
        Action,
        workspace_id=workspace_id,
        id=action_id,
        field="actionId",
        label="action",
        for_update=True,
    )
    check_move(action.status, to)
    if action.status is to:
        return action
    at = now or datetime.now(UTC)
    action.status, action.status_changed_at = to, at
    if to is ActionStatus.DONE:
        action.done_at = at
    session.add(logged(action, to, actor_id, actor_name))
    await session.flush()
    await notification_service.update_action(
        session, workspace_id=workspace_id, action_id=action.id
    )
    if to is ActionStatus.DONE:
        await _resolve_alert(session, action, actor_id, actor_name)
        await _tell_raisers(session, action, actor_name)
    return action


async def _resolve_alert(
    session: AsyncSession, action: Action, actor_id: str | None, actor_name: str | None
) -> None:
    if action.alert_id is None:
        return
    status = await session.scalar(
        select(Alert.status).where(
            Alert.workspace_id == action.workspace_id, Alert.id == action.alert_id
        )
    )
    if status is None or status is AlertStatus.RESOLVED:
        return
    await alert_service.resolve(
        session,
        workspace_id=action.workspace_id,
        alert_id=action.alert_id,
        actor_id=actor_id or "",
        actor_name=actor_name or "someone",
        by_action=(action.id, action.title),
    )


async def _tell_raisers(session: AsyncSession, action: Action, actor_name: str | None) -> None:
    """A direct message to each person who raised what the action addresses (mrkdwn, user
    text escaped)."""
    by = f", marked done by {escape(actor_name)}" if actor_name else ""
    for raiser in await raisers(session, action):
        await notification_service.direct(
            session,
            workspace_id=action.workspace_id,
            user_id=raiser.user_id,
            text=f"{about(raiser)} led to *{escape(action.title)}*{by}; we will tell you what "
            "it changed once enough customers have passed.",
            action_id=action.id,
        )
