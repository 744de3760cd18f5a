"""Actions: an improvement a team owns, created where the problem shows up (an alert, an
observation, a stage) and moved along by domain.action.lifecycle.

Creating one records who created it, links the observations it addresses (of its journey
only), defaults its owner to the team owning the stage's touchpoints and queues its message
for the owning team's channel, in one transaction.
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.action import lifecycle
from domain.action.models import Action, ActionActivity, ActionObservation
from domain.alert.models import Alert
from domain.errors import ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.lookup import get_in_workspace
from domain.notification import service as notification_service
from domain.observation.models import Observation
from domain.stage import service as stage_service
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint
from domain.validation import (
    TEXT_MAX,
    UNSET,
    Unset,
    one_of,
    optional_text,
    required_text,
    storable_time,
)
from domain.vocabulary import ActionStatus

TITLE_MAX = 200
LINKED_OBSERVATIONS_MAX = 100


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID) -> Action:
    return await get_in_workspace(
        session,
        Action,
        workspace_id=workspace_id,
        id=action_id,
        field="actionId",
        label="action",
    )


async def list_for_journey(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID
) -> list[Action]:
    return list(
        await session.scalars(
            select(Action)
            .where(Action.workspace_id == workspace_id, Action.journey_id == journey_id)
            .order_by(Action.created_at)
        )
    )


async def observation_ids(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(ActionObservation.observation_id).where(
                ActionObservation.workspace_id == workspace_id,
                ActionObservation.action_id == action_id,
            )
        )
    )


async def list_for_journeys(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Action]]:
    """The actions of many journeys in one query, keyed by journey id (for DataLoaders)."""
    ids = list(journey_ids)
    grouped: dict[uuid.UUID, list[Action]] = {journey_id: [] for journey_id in ids}
    rows = await session.scalars(
        select(Action)
        .where(Action.workspace_id == workspace_id, Action.journey_id.in_(ids))
        .order_by(Action.created_at)
    )
    for action in rows:
        grouped[action.journey_id].append(action)
    return grouped


async def observation_ids_for_actions(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Which observations each of many actions addresses, in one query (for DataLoaders)."""
    ids = list(action_ids)
    grouped: dict[uuid.UUID, list[uuid.UUID]] = {action_id: [] for action_id in ids}
    rows = await session.execute(
        select(ActionObservation.action_id, ActionObservation.observation_id).where(
            ActionObservation.workspace_id == workspace_id, ActionObservation.action_id.in_(ids)
        )
    )
    for action_id, observation_id in rows:
        grouped[action_id].append(observation_id)
    return grouped


async def _stage(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_id: uuid.UUID | None,
) -> uuid.UUID | None:
    if stage_id is None:
        return None
    stage = await stage_service.get(session, workspace_id=workspace_id, stage_id=stage_id)
    if stage.journey_id != journey_id:
        raise ValidationError("That stage is not part of the action's journey.", field="stageId")
    return stage.id


async def _owner(
    session: AsyncSession, workspace_id: uuid.UUID, team_id: uuid.UUID | None
) -> uuid.UUID | None:
    if team_id is not None:
        await get_in_workspace(
            session,
            Team,
            workspace_id=workspace_id,
            id=team_id,
            field="ownerTeamId",
            label="team",
        )
    return team_id


async def stage_owner(
    session: AsyncSession, *, workspace_id: uuid.UUID, stage_id: uuid.UUID | None
) -> Team | None:
    """The team owning the stage's touchpoints (with several, the one owning most, then by
    name); None when nobody owns any: whom an action at the stage belongs to by default."""
    if stage_id is None:
        return None
    return await session.scalar(
        select(Team)
        .join(
            Touchpoint,
            (Touchpoint.workspace_id == Team.workspace_id) & (Touchpoint.owner_team_id == Team.id),
        )
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.stage_id == stage_id)
        .group_by(Team.workspace_id, Team.id)
        .order_by(func.count().desc(), Team.name)
        .limit(1)
    )


def _due_on(due_on: date | None, timezone: str, now: datetime | None) -> date | None:
    """A due date today or later, today being the journey's (its time zone)."""
    if due_on is None:
        return None
    storable_time(due_on, field="dueOn", label="The due date")
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
    if due_on < today:
        raise ValidationError(
            f"The due date {due_on:%Y-%m-%d} is in the past; choose today ({today:%Y-%m-%d}) "
            "or later.",
            field="dueOn",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return due_on


async def _alert(
    session: AsyncSession, workspace_id: uuid.UUID, journey_id: uuid.UUID, alert_id: uuid.UUID
) -> Alert:
    alert = await get_in_workspace(
        session, Alert, workspace_id=workspace_id, id=alert_id, field="alertId", label="alert"
    )
    if alert.journey_id != journey_id:
        raise ValidationError("That alert is not about the action's journey.", field="alertId")
    return alert


async def _link(
    session: AsyncSession, action: Action, observation_ids_: Iterable[uuid.UUID]
) -> None:
    """Replace the observations an action addresses; they must be from its journey."""
    wanted = list(dict.fromkeys(observation_ids_))
    if len(wanted) > LINKED_OBSERVATIONS_MAX:
        raise ValidationError(
            f"Link at most {LINKED_OBSERVATIONS_MAX} observations to an action.",
            field="observationIds",
            code=ErrorCode.OUT_OF_RANGE,
        )
    found = set(
        await session.scalars(
            select(Observation.id).where(
                Observation.workspace_id == action.workspace_id,
                Observation.journey_id == action.journey_id,
                Observation.id.in_(wanted),
            )
        )
    )
    if len(found) != len(wanted):
        raise ValidationError(
            f"{len(wanted) - len(found)} of the observations do not exist in this journey.",
            field="observationIds",
            code=ErrorCode.NOT_FOUND,
        )
    await session.execute(
        sa.delete(ActionObservation).where(
            ActionObservation.workspace_id == action.workspace_id,
            ActionObservation.action_id == action.id,
        )
    )
    session.add_all(
        ActionObservation(
            workspace_id=action.workspace_id, action_id=action.id, observation_id=observation_id
        )
        for observation_id in wanted
    )


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    title: str,
    description: str = "",
    stage_id: uuid.UUID | None = None,
    owner_team_id: uuid.UUID | None | Unset = UNSET,
    observation_ids: Iterable[uuid.UUID] = (),
    due_on: date | None = None,
    alert_id: uuid.UUID | None = None,
    created_by_id: str | None = None,
    created_by_name: str | None = None,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> Action:
    """Record an improvement a team owns, linked to the stage and observations it addresses,
    and queue its message for the owning team's channel.

    Left out (UNSET), the owner is the team owning the stage's touchpoints; None means no
    team. An action created from an alert is at the alert's stage unless told otherwise, and
    resolves the alert when it is done (domain.action.lifecycle).

    With an `idempotency_key` seen before in the workspace, the action created then is
    returned and nothing new is written or queued: a retried Slack submission or a double
    submit creates one action."""
    if idempotency_key:
        earlier = await created_with_key(
            session, workspace_id=workspace_id, idempotency_key=idempotency_key
        )
        if earlier is not None:
            return earlier
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    title = required_text(title, field="title", label="Title", max_length=TITLE_MAX)
    alert = await _alert(session, workspace_id, journey_id, alert_id) if alert_id else None
    if stage_id is None and alert is not None:
        stage_id = alert.stage_id
    stage_id = await _stage(session, workspace_id, journey_id, stage_id)
    if isinstance(owner_team_id, Unset):
        owner = await stage_owner(session, workspace_id=workspace_id, stage_id=stage_id)
    else:
        await _owner(session, workspace_id, owner_team_id)
        owner = await session.get(Team, (workspace_id, owner_team_id)) if owner_team_id else None
    action = Action(
        workspace_id=workspace_id,
        journey_id=journey_id,
        stage_id=stage_id,
        title=title,
        description=optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        ),
        owner_team_id=owner.id if owner else None,
        status=ActionStatus.OPEN,
        due_on=_due_on(due_on, journey.timezone, now),
        alert_id=alert.id if alert else None,
        created_by_id=created_by_id,
        created_by_name=created_by_name,
        status_changed_at=now or datetime.now(UTC),
        idempotency_key=idempotency_key,
    )
    session.add(action)
    await session.flush()
    await _link(session, action, observation_ids)
    session.add(lifecycle.logged(action, ActionStatus.OPEN, created_by_id, created_by_name))
    if owner is not None and owner.slack_channel_id:
        await notification_service.post_action(
            session,
            workspace_id=workspace_id,
            action_id=action.id,
            channel_id=owner.slack_channel_id,
        )
    await session.flush()
    return action


async def created_with_key(
    session: AsyncSession, *, workspace_id: uuid.UUID, idempotency_key: str
) -> Action | None:
    """The action created earlier with this key, if any. A retry and the first request
    arrive together: a transaction-level lock on the key makes the second wait for the first
    to commit and find its action, instead of both finding none and one failing on the
    insert."""
    lock = func.hashtext(f"action:{workspace_id}:{idempotency_key}")
    await session.execute(select(func.pg_advisory_xact_lock(lock)))
    return await session.scalar(
        select(Action).where(
            Action.workspace_id == workspace_id, Action.idempotency_key == idempotency_key
        )
    )


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    action_id: uuid.UUID,
    title: str | Unset = UNSET,
    description: str | Unset = UNSET,
    status: ActionStatus | str | Unset = UNSET,
    stage_id: uuid.UUID | Unset | None = UNSET,
    owner_team_id: uuid.UUID | Unset | None = UNSET,
    observation_ids: Iterable[uuid.UUID] | Unset = UNSET,
    due_on: date | None | Unset = UNSET,
    actor_id: str | None = None,
    actor_name: str | None = None,
    now: datetime | None = None,
) -> Action:
    """Edit an action; a new status moves it along by the lifecycle's rules
    (domain.action.lifecycle.move), as `actor`."""
    action = await get(session, workspace_id=workspace_id, action_id=action_id)
    if not isinstance(title, Unset):
        action.title = required_text(title, field="title", label="Title", max_length=TITLE_MAX)
    if not isinstance(description, Unset):
        action.description = optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        )
    if not isinstance(stage_id, Unset):
        action.stage_id = await _stage(session, workspace_id, action.journey_id, stage_id)
    if not isinstance(owner_team_id, Unset):
        action.owner_team_id = await _owner(session, workspace_id, owner_team_id)
    if not isinstance(observation_ids, Unset):
        await _link(session, action, observation_ids)
    if not isinstance(due_on, Unset):
        journey = await journey_service.get(
            session, workspace_id=workspace_id, journey_id=action.journey_id
        )
        action.due_on = _due_on(due_on, journey.timezone, now)
    await session.flush()
    if not isinstance(status, Unset):
        wanted = one_of(ActionStatus, status, field="status", label="Status")
        await lifecycle.move(
            session,
            workspace_id=workspace_id,
            action_id=action.id,
            to=wanted,
            actor_id=actor_id,
            actor_name=actor_name,
            now=now,
        )
    else:
        await notification_service.update_action(
            session, workspace_id=workspace_id, action_id=action.id
        )
    return action


async def activity_for_actions(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[ActionActivity]]:
    """Who moved each of many actions to which status, oldest first (for DataLoaders)."""
    ids = list(action_ids)
    grouped: dict[uuid.UUID, list[ActionActivity]] = {action_id: [] for action_id in ids}
    rows = await session.scalars(
        select(ActionActivity)
        .where(ActionActivity.workspace_id == workspace_id, ActionActivity.action_id.in_(ids))
        .order_by(ActionActivity.created_at, ActionActivity.id)
    )
    for entry in rows:
        grouped[entry.action_id].append(entry)
    return grouped


async def delete(session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID) -> None:
    action = await get(session, workspace_id=workspace_id, action_id=action_id)
    await session.delete(action)
    await session.flush()
