import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.alert import service as alert_service
from domain.alert.models import Alert, AlertAction, AlertStatus, Resolution
from domain.alert.routing import channels_for_stage
from domain.errors import Conflict, ErrorCode, ValidationError
from domain.live import Topic
from domain.notification.models import Notification, NotificationKind
from domain.subscription import service as subscription_service
from tests.support.database import _libpq
from tests.support.factories import (
    dropped_evaluation,
    make_alert,
    make_alert_rule,
    make_journey,
    make_observation,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)

ME = {"actor_id": "U0ME", "actor_name": "Dana"}


async def _setup(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    stage = (await stages_of(session, journey))[2]
    rule = await make_alert_rule(session, journey)
    return workspace, journey, stage, rule


async def _notifications(session, alert, kind=None):
    query = select(Notification).where(Notification.alert_id == alert.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(await session.scalars(query.order_by(Notification.created_at)))


async def _actions(session, alert):
    log = await alert_service.activity(session, workspace_id=alert.workspace_id, alert_id=alert.id)
    return [entry.action for entry in log]


async def test_a_fired_alert_keeps_its_figures_the_driver_and_recent_observations(session):
    _workspace, _journey, stage, rule = await _setup(session)
    await make_observation(session, stage=stage, text="shipping costs shock people at checkout")
    alert = await make_alert(session, rule, stage, channels=("C0SALES01", "C0SALES01", "C0OPS001"))
    assert alert.status is AlertStatus.OPEN
    assert (alert.baseline_entered, alert.baseline_converted) == (8400, 4200)
    assert (alert.recent_entered, alert.recent_converted) == (900, 315)
    assert alert.change_points == pytest.approx(-15.0)
    assert alert.p_value < 1e-6 and alert.z_score < -8
    assert alert.observations[0]["text"] == "shipping costs shock people at checkout"
    posts = await _notifications(session, alert, NotificationKind.POST)
    assert sorted(n.channel_id for n in posts) == ["C0OPS001", "C0SALES01"]
    assert await _actions(session, alert) == [AlertAction.FIRED]


async def test_one_unresolved_alert_per_rule_and_stage(session):
    _workspace, _journey, stage, rule = await _setup(session)
    first = await make_alert(session, rule, stage)
    at = datetime.now(UTC)
    again = await alert_service.fire(
        session,
        rule=rule,
        stage_id=stage.id,
        evaluation=dropped_evaluation(at),
        at=at,
        channel_ids=["C0ALERTS1"],
    )
    assert again is None
    await alert_service.resolve(session, workspace_id=rule.workspace_id, alert_id=first.id, **ME)
    assert await make_alert(session, rule, stage)  # after a resolution, the table allows one


async def test_the_database_itself_refuses_a_second_unresolved_alert(session):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    await session.commit()
    columns = {c.key: getattr(alert, c.key) for c in Alert.__table__.columns if c.key != "id"}
    with pytest.raises(IntegrityError):
        await session.execute(sa.insert(Alert).values(**columns))
    await session.rollback()


async def test_firing_notifies_listeners_after_commit(db, database_url):
    listener = await asyncpg.connect(_libpq(database_url))
    heard: asyncio.Queue = asyncio.Queue()
    await listener.add_listener(Topic.ALERT_FIRED.value, lambda *args: heard.put_nowait(args[3]))
    try:
        async with db.begin() as session:
            _workspace, journey, stage, rule = await _setup(session)
            alert = await make_alert(session, rule, stage)
        payload = json.loads(await asyncio.wait_for(heard.get(), 5))
        assert payload["alert_id"] == str(alert.id)
        assert payload["journey_id"] == str(journey.id)
    finally:
        await listener.close()


async def test_acknowledging_twice_logs_once_and_updates_the_message_once(session):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    for _ in range(2):
        await alert_service.acknowledge(
            session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME
        )
    assert alert.status is AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == "Dana"
    assert await _actions(session, alert) == [AlertAction.FIRED, AlertAction.ACKNOWLEDGED]
    assert len(await _notifications(session, alert, NotificationKind.UPDATE)) == 1


async def test_assign_to_me_acknowledges_and_a_second_click_changes_nothing(session):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    for _ in range(2):
        await alert_service.assign(
            session,
            workspace_id=alert.workspace_id,
            alert_id=alert.id,
            assignee_id="U0ME",
            assignee_name="Dana",
            **ME,
        )
    assert (alert.assignee_id, alert.status) == ("U0ME", AlertStatus.ACKNOWLEDGED)
    log = await alert_service.activity(session, workspace_id=alert.workspace_id, alert_id=alert.id)
    assert [(e.action, e.actor_name, e.detail) for e in log][1:] == [
        (AlertAction.ASSIGNED, "Dana", "assigned to Dana")
    ]


@pytest.mark.parametrize(
    ("assignee", "name", "field"),
    [
        ("dana@example.com", "Dana", "assigneeSlackUserId"),
        (" ", "Dana", "assigneeSlackUserId"),
        ("U0ME", "Da\x00na", "assigneeName"),
        ("U0ME", "x" * 121, "assigneeName"),
    ],
)
async def test_assign_takes_only_a_slack_user_id_and_a_storable_name(
    session, assignee, name, field
):
    """Every door assigns through here, so the check lives here (it was the GraphQL door's)."""
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    with pytest.raises(ValidationError) as refused:
        await alert_service.assign(
            session,
            workspace_id=alert.workspace_id,
            alert_id=alert.id,
            assignee_id=assignee,
            assignee_name=name,
            **ME,
        )
    assert refused.value.field == field
    assert alert.assignee_id is None


async def test_mute_24h_is_idempotent_and_a_resolved_alert_cannot_be_muted(session):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    now = datetime(2026, 5, 1, 9, tzinfo=UTC)
    await alert_service.mute(
        session, workspace_id=alert.workspace_id, alert_id=alert.id, now=now, **ME
    )
    await alert_service.mute(
        session,
        workspace_id=alert.workspace_id,
        alert_id=alert.id,
        now=now + timedelta(seconds=2),
        **ME,
    )
    assert alert.muted_until == now + timedelta(hours=24)
    assert (await _actions(session, alert)).count(AlertAction.MUTED) == 1
    await alert_service.resolve(session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME)
    with pytest.raises(Conflict, match="already resolved"):
        await alert_service.mute(session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME)


@pytest.mark.parametrize("hours", [0, -24, 721])
async def test_a_mute_must_last_from_an_hour_up_to_30_days(session, hours):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    with pytest.raises(ValidationError) as refused:
        await alert_service.mute(
            session, workspace_id=alert.workspace_id, alert_id=alert.id, hours=hours, **ME
        )
    assert refused.value.message == (
        f"An alert can be muted for 1 hour up to 30 days (720 hours), not {hours} hours."
    )
    assert (refused.value.field, refused.value.code) == ("hours", ErrorCode.OUT_OF_RANGE)
    assert alert.muted_until is None


async def test_a_mute_of_a_week_holds_until_then_and_a_new_choice_replaces_it(session):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    now = datetime(2026, 5, 1, 9, tzinfo=UTC)
    where = {"workspace_id": alert.workspace_id, "alert_id": alert.id, **ME}
    await alert_service.mute(session, hours=168, now=now, **where)
    assert alert.muted_until == now + timedelta(days=7)
    await alert_service.mute(session, hours=1, now=now + timedelta(minutes=1), **where)
    assert alert.muted_until == now + timedelta(hours=1, minutes=1)
    assert (await _actions(session, alert)).count(AlertAction.MUTED) == 2


async def test_resolving_twice_logs_once_and_starts_the_cooldown(session):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    for _ in range(2):
        await alert_service.resolve(
            session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME
        )
    assert (alert.status, alert.resolution, alert.resolved_by) == (
        AlertStatus.RESOLVED,
        Resolution.BY_HAND,
        "Dana",
    )
    assert (await _actions(session, alert)).count(AlertAction.RESOLVED) == 1
    latest, state = await alert_service.stage_state(session, rule=rule, stage_id=stage.id)
    assert latest is not None and latest.id == alert.id
    assert state.open_alert_baseline_rate is None and state.last_resolved_at == alert.resolved_at


async def test_an_open_alert_state_carries_the_baseline_it_fired_on(session):
    _workspace, _journey, stage, rule = await _setup(session)
    await make_alert(session, rule, stage)
    _latest, state = await alert_service.stage_state(session, rule=rule, stage_id=stage.id)
    assert state.open_alert_baseline_rate == pytest.approx(0.5)


async def test_resolving_itself_updates_in_place_and_says_so_in_the_thread(session):
    _workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage, channels=("C0SALES01", "C0OPS001"))
    await alert_service.resolve_recovered(
        session,
        workspace_id=alert.workspace_id,
        alert_id=alert.id,
        reason="Recovered: conversion 49.0 %.",
        at=datetime.now(UTC),
    )
    assert (alert.status, alert.resolution) == (AlertStatus.RESOLVED, Resolution.RECOVERED)
    replies = await _notifications(session, alert, NotificationKind.REPLY)
    assert len(replies) == 2 and all("Resolved itself" in r.text for r in replies)
    assert len(await _notifications(session, alert, NotificationKind.UPDATE)) == 2
    log = await alert_service.activity(session, workspace_id=alert.workspace_id, alert_id=alert.id)
    assert (log[-1].action, log[-1].actor_id) == (AlertAction.AUTO_RESOLVED, None)


async def test_alerts_are_listed_by_status_and_journey(session):
    workspace, _journey, stage, rule = await _setup(session)
    alert = await make_alert(session, rule, stage)
    listed = await alert_service.list_alerts(session, workspace_id=workspace.id, status="open")
    assert [a.id for a in listed] == [alert.id]
    assert (
        await alert_service.list_alerts(session, workspace_id=workspace.id, status="resolved") == []
    )
    other = await make_journey(session, workspace)
    assert (
        await alert_service.list_alerts(session, workspace_id=workspace.id, journey_id=other.id)
        == []
    )


async def test_alerts_go_to_subscribed_channels_and_the_owning_teams_channels_once(session):
    workspace, journey, stage, _rule = await _setup(session)
    sales = await make_team(session, workspace, "sales", channel="C0SALES01")
    support = await make_team(session, workspace, "support", channel="C0SUPPORT")
    silent = await make_team(session, workspace, "silent")
    await make_touchpoint(session, stage, owner=sales)
    await make_touchpoint(session, stage, owner=sales)
    await make_touchpoint(session, stage, owner=support)
    await make_touchpoint(session, stage, owner=silent)
    await make_touchpoint(
        session,
        (await stages_of(session, journey))[0],
        owner=await make_team(session, workspace, "elsewhere", channel="C0ELSEWHR"),
    )

    stages = await stages_of(session, journey)
    for channel, subscribed in (
        ("C0SUBSCRB", None),  # the whole journey
        ("C0SALES01", stage),  # this stage, and an owner's channel too: listed once
        ("C0OTHERST", stages[0] if stages[0].id != stage.id else stages[-1]),
    ):
        await subscription_service.subscribe(
            session,
            workspace_id=workspace.id,
            channel_id=channel,
            journey_id=journey.id,
            stage_id=subscribed.id if subscribed else None,
        )

    channels = await channels_for_stage(
        session, workspace_id=workspace.id, journey_id=journey.id, stage_id=stage.id
    )
    assert channels == ["C0SALES01", "C0SUBSCRB", "C0SUPPORT"]  # subscribed, then owners
