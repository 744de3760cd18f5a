"""Alerts: fire one, act on it (acknowledge, assign, mute, resolve), let it resolve itself.

Every change records who did what in the activity log and queues the in-place update of the
alert's Slack messages in the same transaction. Actions a double click could repeat are
idempotent: repeating one changes nothing and logs nothing. Each action locks the alert's row
first, so concurrent ones (from Slack, GraphQL or the worker) take turns.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain import cursor, live
from domain.alert.decision import StageState
from domain.alert.models import Alert, AlertAction, AlertActivity, AlertStatus, Resolution
from domain.alert.statistics import Evaluation
from domain.alert_rule.models import AlertRule
from domain.errors import Conflict, ErrorCode, ValidationError
from domain.lookup import get_in_workspace
from domain.notification import service as notification_service
from domain.observation import service as observation_service
from domain.validation import in_range, one_of, required_text, slack_user_id

OBSERVATIONS_SHOWN = 3
OBSERVATION_TEXT_MAX = 300
LIST_LIMIT_MAX = 200
PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 100
ASSIGNEE_NAME_MAX = 120
MUTE_HOURS_DEFAULT = 24
MUTE_HOURS_MAX = 30 * 24
# Muting again to within this long of the time already set (a double click) changes nothing.
MUTE_REPEAT_WINDOW = timedelta(minutes=5)


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, alert_id: uuid.UUID) -> Alert:
    return await get_in_workspace(
        session, Alert, workspace_id=workspace_id, id=alert_id, field="alertId", label="alert"
    )


async def _to_change(session: AsyncSession, workspace_id: uuid.UUID, alert_id: uuid.UUID) -> Alert:
    """The alert, locked until the transaction ends: actions on one alert take turns, so the
    same click arriving five times at once sees the first one's change and repeats nothing."""
    return await get_in_workspace(
        session,
        Alert,
        workspace_id=workspace_id,
        id=alert_id,
        field="alertId",
        label="alert",
        for_update=True,
    )


async def list_alerts(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    status: AlertStatus | str | None = None,
    journey_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[Alert]:
    """Alerts newest first, optionally of one status or one journey."""
    in_range(limit, field="limit", label="The number of alerts", low=1, high=LIST_LIMIT_MAX)
    query = _selected(workspace_id, status, journey_id)
    return list(await session.scalars(query.order_by(Alert.fired_at.desc()).limit(limit)))


def _selected(
    workspace_id: uuid.UUID, status: AlertStatus | str | None, journey_id: uuid.UUID | None
) -> Select[Alert]:
    """The workspace's alerts, optionally of one status or one journey."""
    query = select(Alert).where(Alert.workspace_id == workspace_id)
    if status is not None:
        query = query.where(
            Alert.status == one_of(AlertStatus, status, field="status", label="Status")
        )
    if journey_id is not None:
        query = query.where(Alert.journey_id == journey_id)
    return query


async def activity(
    session: AsyncSession, *, workspace_id: uuid.UUID, alert_id: uuid.UUID
) -> list[AlertActivity]:
    """Who did what to the alert, oldest first."""
    logs = await activity_for_alerts(session, workspace_id=workspace_id, alert_ids=[alert_id])
    return logs[alert_id]


@dataclass(frozen=True)
class AlertPage:
    alerts: list[Alert]
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(alert: Alert) -> str:
    return cursor.encode(alert.fired_at, alert.id)


async def search(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    status: AlertStatus | str | None = None,
    journey_id: uuid.UUID | None = None,
    first: int = PAGE_SIZE_DEFAULT,
    after: str | None = None,
) -> AlertPage:
    """Alerts newest first, a page at a time (keyset pagination on the firing time)."""
    in_range(first, field="first", label="Page size (first)", low=1, high=PAGE_SIZE_MAX)
    query = _selected(workspace_id, status, journey_id)
    if after:
        fired_at, alert_id = cursor.decode(after)
        query = query.where(tuple_(Alert.fired_at, Alert.id) < tuple_(fired_at, alert_id))
    query = query.order_by(Alert.fired_at.desc(), Alert.id.desc()).limit(first + 1)
    rows = list(await session.scalars(query))
    page = rows[:first]
    return AlertPage(page, len(rows) > first, encode_cursor(page[-1]) if page else None)


async def unresolved_for_journeys(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Alert]]:
    """The open and acknowledged alerts of many journeys in one query, newest first (for
    DataLoaders); at most one per rule and stage, so the lists stay short."""
    ids = list(journey_ids)
    grouped: dict[uuid.UUID, list[Alert]] = {journey_id: [] for journey_id in ids}
    rows = await session.scalars(
        select(Alert)
        .where(
            Alert.workspace_id == workspace_id,
            Alert.journey_id.in_(ids),
            Alert.status != AlertStatus.RESOLVED,
        )
        .order_by(Alert.fired_at.desc(), Alert.id.desc())
    )
    for alert in rows:
        grouped[alert.journey_id].append(alert)
    return grouped


async def activity_for_alerts(
    session: AsyncSession, *, workspace_id: uuid.UUID, alert_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[AlertActivity]]:
    """The activity logs of many alerts in one query, oldest first (for DataLoaders)."""
    ids = list(alert_ids)
    grouped: dict[uuid.UUID, list[AlertActivity]] = {alert_id: [] for alert_id in ids}
    rows = await session.scalars(
        select(AlertActivity)
        .where(AlertActivity.workspace_id == workspace_id, AlertActivity.alert_id.in_(ids))
        .order_by(AlertActivity.created_at, AlertActivity.action)
    )
    for entry in rows:
        grouped[entry.alert_id].append(entry)
    return grouped


async def stage_state(
    session: AsyncSession, *, rule: AlertRule, stage_id: uuid.UUID
) -> tuple[Alert | None, StageState]:
    """The rule's latest alert at the stage and what it means for the next decision."""
    latest = await session.scalar(
        select(Alert)
        .where(
            Alert.workspace_id == rule.workspace_id,
            Alert.rule_id == rule.id,
            Alert.stage_id == stage_id,
        )
        .order_by(Alert.fired_at.desc())
        .limit(1)
    )
    if latest is None:
        return None, StageState()
    if latest.status is AlertStatus.RESOLVED:
        return latest, StageState(
            last_resolved_at=latest.resolved_at, muted_until=latest.muted_until
        )
    return latest, StageState(
        open_alert_baseline_rate=latest.baseline_rate,
        open_alert_horizon=timedelta(hours=latest.alert_window_hours),
        muted_until=latest.muted_until,
    )


def _log(
    alert: Alert, action: AlertAction, actor_id: str | None, actor_name: str | None, detail=""
):
    return AlertActivity(
        workspace_id=alert.workspace_id,
        alert_id=alert.id,
        action=action,
        actor_id=actor_id,
        actor_name=actor_name,
        detail=detail,
        # Several entries in one transaction (a test, a batch) still sort in the order done.
        created_at=func.clock_timestamp(),
    )


async def _observations(
    session: AsyncSession, rule: AlertRule, stage_id: uuid.UUID, at: datetime
) -> list[dict]:
    page = await observation_service.search(
        session,
        workspace_id=rule.workspace_id,
        where=observation_service.ObservationFilter(stage_id=stage_id, until=at),
        first=OBSERVATIONS_SHOWN,
    )
    return [
        {
            "id": str(o.id),
            "kind": o.kind.value,
            "emotion": o.emotion.value if o.emotion else None,
            "text": o.text[:OBSERVATION_TEXT_MAX],
            "author_name": o.author_name,
            "created_at": o.created_at.isoformat(),
        }
        for o in page.observations
    ]


async def fire(
    session: AsyncSession,
    *,
    rule: AlertRule,
    stage_id: uuid.UUID,
    evaluation: Evaluation,
    at: datetime,
    channel_ids: Iterable[str],
) -> Alert | None:
    """Open an alert and queue its Slack messages, in this transaction.

    None when the rule already has an unresolved alert at this stage (the database refuses a
    second one, so two racing evaluations open one).
    """
    comparison, windows, driver = evaluation.comparison, evaluation.windows, evaluation.driver
    values = {
        "workspace_id": rule.workspace_id,
        "id": uuid.uuid4(),
        "rule_id": rule.id,
        "journey_id": rule.journey_id,
        "stage_id": stage_id,
        "status": AlertStatus.OPEN,
        "fired_at": at,
        # The horizon conversion was counted within (the column predates horizons).
        "alert_window_hours": int(evaluation.horizon.total_seconds() // 3600),
        "baseline_first": windows.baseline.first,
        "baseline_last": windows.baseline.last,
        "recent_first": windows.recent.first,
        "recent_last": windows.recent.last,
        "baseline_entered": comparison.baseline.entered,
        "baseline_converted": comparison.baseline.converted,
        "recent_entered": comparison.recent.entered,
        "recent_converted": comparison.recent.converted,
        "change_points": comparison.change_points,
        "z_score": comparison.z or 0.0,
        "p_value": comparison.p_value if comparison.p_value is not None else 1.0,
        "reason": comparison.reason,
        "driver_dimension": driver.segment.dimension if driver else None,
        "driver_label": driver.segment.label if driver else None,
        "driver_points": driver.points if driver else None,
        "driver_share": driver.share if driver else None,
        "observations": await _observations(session, rule, stage_id, at),
    }
    alert_id = await session.scalar(
        insert(Alert)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=["workspace_id", "rule_id", "stage_id"],
            index_where=text("status <> 'resolved'"),  # the partial index
        )
        .returning(Alert.id)
    )
    if alert_id is None:
        return None
    alert = await get(session, workspace_id=rule.workspace_id, alert_id=alert_id)
    session.add(_log(alert, AlertAction.FIRED, None, None, comparison.reason))
    await notification_service.post_alert(
        session, workspace_id=alert.workspace_id, alert_id=alert.id, channel_ids=channel_ids
    )
    await live.publish(
        session,
        live.Topic.ALERT_FIRED,
        {
            "workspace_id": alert.workspace_id,
            "journey_id": alert.journey_id,
            "stage_id": alert.stage_id,
            "alert_id": alert.id,
        },
    )
    await session.flush()
    return alert


async def _changed(
    session: AsyncSession, alert: Alert, action: AlertAction, actor_id, actor_name, detail=""
) -> Alert:
    session.add(_log(alert, action, actor_id, actor_name, detail))
    await session.flush()
    await notification_service.update_alert(
        session, workspace_id=alert.workspace_id, alert_id=alert.id
    )
    return alert


def _refuse_if_resolved(alert: Alert, doing: str) -> None:
    if alert.status is AlertStatus.RESOLVED:
        raise Conflict(
            f"This alert is already resolved, so it cannot be {doing}. If the stage is still "
            "losing customers, a new alert fires after the cooldown.",
            field="alertId",
        )


async def acknowledge(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID,
    actor_id: str,
    actor_name: str,
) -> Alert:
    """Someone has seen it and is on it; repeating it (or on a resolved alert) changes nothing."""
    alert = await _to_change(session, workspace_id, alert_id)
    if alert.status is not AlertStatus.OPEN:
        return alert
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = datetime.now(UTC)
    alert.acknowledged_by = actor_name
    return await _changed(session, alert, AlertAction.ACKNOWLEDGED, actor_id, actor_name)


async def assign(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID,
    assignee_id: str,
    assignee_name: str,
    actor_id: str,
    actor_name: str,
) -> Alert:
    """Give the alert to someone ("Assign to me" passes the actor); an open alert is thereby
    acknowledged too."""
    assignee_id = slack_user_id(assignee_id, field="assigneeSlackUserId")
    assignee_name = required_text(
        assignee_name,
        field="assigneeName",
        label="The assignee's name",
        max_length=ASSIGNEE_NAME_MAX,
    )
    alert = await _to_change(session, workspace_id, alert_id)
    if alert.assignee_id == assignee_id:
        return alert
    _refuse_if_resolved(alert, "assigned")
    alert.assignee_id, alert.assignee_name = assignee_id, assignee_name
    if alert.status is AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by = datetime.now(UTC), actor_name
    return await _changed(
        session, alert, AlertAction.ASSIGNED, actor_id, actor_name, f"assigned to {assignee_name}"
    )


async def mute(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID,
    actor_id: str,
    actor_name: str,
    hours: int = MUTE_HOURS_DEFAULT,
    now: datetime | None = None,
) -> Alert:
    """No new alert of this rule at this stage for `hours` from now, even after a resolution;
    muting again replaces the time. Every door mutes through here, so one set of limits holds."""
    _check_mute_hours(hours)
    alert = await _to_change(session, workspace_id, alert_id)
    until = (now or datetime.now(UTC)) + timedelta(hours=hours)
    if alert.muted_until is not None and abs(alert.muted_until - until) < MUTE_REPEAT_WINDOW:
        return alert
    _refuse_if_resolved(alert, "muted")
    alert.muted_until = until
    return await _changed(
        session,
        alert,
        AlertAction.MUTED,
        actor_id,
        actor_name,
        f"muted until {until:%Y-%m-%d %H:%M} UTC",
    )


def _check_mute_hours(hours: int) -> None:
    if not 1 <= hours <= MUTE_HOURS_MAX:
        raise ValidationError(
            f"An alert can be muted for 1 hour up to 30 days ({MUTE_HOURS_MAX} hours), "
            f"not {hours} hours.",
            field="hours",
            code=ErrorCode.OUT_OF_RANGE,
        )


async def resolve(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID,
    actor_id: str,
    actor_name: str,
    by_action: tuple[uuid.UUID, str] | None = None,
) -> Alert:
    """Close the alert by hand; the cooldown starts now. Repeating it changes nothing.

    `by_action` (its id and title) is the done action that resolved it (domain.action)."""
    alert = await _to_change(session, workspace_id, alert_id)
    if alert.status is AlertStatus.RESOLVED:
        return alert
    alert.status, alert.resolution = AlertStatus.RESOLVED, Resolution.BY_HAND
    alert.resolved_at, alert.resolved_by = datetime.now(UTC), actor_name
    detail = ""
    if by_action is not None:
        alert.resolved_by_action_id, title = by_action
        detail = f"by the action “{title}”, marked done"
    return await _changed(session, alert, AlertAction.RESOLVED, actor_id, actor_name, detail)


async def resolve_recovered(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID,
    reason: str,
    at: datetime,
) -> Alert:
    """The stage recovered: close the alert and say so in its Slack thread."""
    alert = await _to_change(session, workspace_id, alert_id)
    if alert.status is AlertStatus.RESOLVED:
        return alert
    alert.status, alert.resolution = AlertStatus.RESOLVED, Resolution.RECOVERED
    alert.resolved_at, alert.recovery_reason = at, reason
    await _changed(session, alert, AlertAction.AUTO_RESOLVED, None, None, reason)
    await notification_service.reply_to_alert(
        session,
        workspace_id=workspace_id,
        alert_id=alert.id,
        text=f":white_check_mark: Resolved itself. {reason}",
    )
    return alert


async def reopen(session: AsyncSession, *, alert: Alert, reason: str) -> Alert:
    """A person resolved the alert but the stage is still down (domain.alert.proof): open it
    again, log why, update its messages and say why in their threads. The caller holds the
    alert's row lock and has checked that no newer alert of its rule is open at the stage."""
    alert.status, alert.resolution = AlertStatus.OPEN, None
    alert.resolved_at = alert.resolved_by = alert.resolved_by_action_id = None
    await _changed(session, alert, AlertAction.REOPENED, None, None, reason)
    await notification_service.reply_to_alert(
        session, workspace_id=alert.workspace_id, alert_id=alert.id, text=reason
    )
    return alert


async def unresolved_at_stage(session: AsyncSession, *, alert: Alert) -> Alert | None:
    """The unresolved alert of `alert`'s rule at its stage, if there is one."""
    return await session.scalar(
        select(Alert).where(
            Alert.workspace_id == alert.workspace_id,
            Alert.rule_id == alert.rule_id,
            Alert.stage_id == alert.stage_id,
            Alert.status != AlertStatus.RESOLVED,
        )
    )
