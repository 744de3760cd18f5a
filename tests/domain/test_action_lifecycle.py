"""Creating an action where the problem shows up and moving it along: defaults, due dates in
the journey's time zone, the alert it came from, the transitions allowed, idempotent moves,
the alert resolved by a done action and the people told."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from domain.action import lifecycle
from domain.action import service as action_service
from domain.action.models import ActionActivity
from domain.alert import service as alert_service
from domain.alert.models import AlertAction, AlertStatus
from domain.errors import Conflict, NotFound, ValidationError
from domain.journey import service as journey_service
from domain.mention import service as mention_service
from domain.notification.models import Notification, NotificationKind
from domain.vocabulary import ActionStatus
from tests.support.factories import (
    make_alert,
    make_alert_rule,
    make_journey,
    make_observation,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)

START, DONE, DROP = ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.DROPPED


async def shop(session):
    workspace = await make_workspace(session)
    journey = await make_journey(
        session, workspace, stages=("consideration", "decision", "retention")
    )
    stages = await stages_of(session, journey)
    support = await make_team(session, workspace, "Support")
    support.slack_channel_id = "C0SUPPORT1"
    await make_touchpoint(session, stages[1], "Checkout", key="checkout", owner=support)
    return workspace, journey, stages, support


async def outbox(session, kind: NotificationKind) -> list[Notification]:
    return list(
        await session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.channel_id)
        )
    )


async def activity(session, action) -> list[tuple[ActionStatus, str | None]]:
    rows = await session.scalars(
        select(ActionActivity)
        .where(ActionActivity.action_id == action.id)
        .order_by(ActionActivity.created_at)
    )
    return [(row.status, row.actor_name) for row in rows]


async def test_the_owner_defaults_to_the_team_owning_the_stages_touchpoints_and_hears_of_it(
    session,
):
    workspace, journey, stages, support = await shop(session)
    action = await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_id=stages[1].id,
        title="Show shipping costs on the product page",
        created_by_id="U0001",
        created_by_name="Dana S.",
    )
    assert action.owner_team_id == support.id
    assert (action.created_by_id, action.created_by_name) == ("U0001", "Dana S.")
    [post] = await outbox(session, NotificationKind.POST)
    assert (post.action_id, post.channel_id) == (action.id, "C0SUPPORT1")
    assert await activity(session, action) == [(ActionStatus.OPEN, "Dana S.")]
    # None says "no team": nothing is posted for it.
    unowned = await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_id=stages[1].id,
        title="Ask finance",
        owner_team_id=None,
    )
    assert unowned.owner_team_id is None
    assert len(await outbox(session, NotificationKind.POST)) == 1


async def test_a_stage_nobody_owns_gives_no_owner(session):
    workspace, journey, stages, _ = await shop(session)
    action = await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, stage_id=stages[0].id, title="x"
    )
    assert action.owner_team_id is None


async def test_a_due_date_is_today_or_later_in_the_journeys_time_zone(session):
    workspace, journey, _, _ = await shop(session)
    await journey_service.update(
        session, workspace_id=workspace.id, journey_id=journey.id, timezone="Pacific/Auckland"
    )
    # 20:00 UTC on Dec 7 is already Dec 8 in Auckland: Dec 7 is the past there.
    now = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        await action_service.create(
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            title="Fix",
            due_on=date(2026, 12, 7),
            now=now,
        )
    assert refused.value.field == "dueOn" and "2026-12-08" in refused.value.message
    action = await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        title="Fix",
        due_on=date(2026, 12, 8),
        now=now,
    )
    assert action.due_on == date(2026, 12, 8)


@pytest.mark.parametrize(
    ("title", "field"), [("", "title"), ("   ", "title"), ("x" * 201, "title")]
)
async def test_a_title_is_required_and_at_most_200_characters(session, title, field):
    workspace, journey, _, _ = await shop(session)
    with pytest.raises(ValidationError) as refused:
        await action_service.create(
            session, workspace_id=workspace.id, journey_id=journey.id, title=title
        )
    assert refused.value.field == field


async def test_an_action_from_an_alert_is_at_its_stage_and_another_workspaces_alert_is_unknown(
    session,
):
    workspace, journey, stages, _ = await shop(session)
    alert = await make_alert(session, await make_alert_rule(session, journey, stages[1]), stages[1])
    action = await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, title="Fix", alert_id=alert.id
    )
    assert (action.alert_id, action.stage_id) == (alert.id, stages[1].id)
    _, other_journey, other_stages, _ = await shop(session)
    foreign = await make_alert(
        session, await make_alert_rule(session, other_journey, other_stages[1]), other_stages[1]
    )
    with pytest.raises(NotFound) as refused:
        await action_service.create(
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            title="Fix",
            alert_id=foreign.id,
        )
    assert refused.value.field == "alertId"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((START, DONE), None),
        ((DONE,), None),
        ((DROP,), None),
        ((START, DROP), None),
        ((DONE, START), "already done"),
        ((DROP, DONE), "already dropped"),
        ((START, ActionStatus.OPEN), "cannot be moved back to open"),
    ],
)
async def test_the_transitions_allowed(session, path, refused):
    workspace, journey, _, _ = await shop(session)
    action = await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, title="Fix"
    )
    *first, last = path
    for status in first:
        await lifecycle.move(
            session,
            workspace_id=workspace.id,
            action_id=action.id,
            to=status,
            actor_id="U0001",
            actor_name="Dana S.",
        )
    move = lifecycle.move(
        session,
        workspace_id=workspace.id,
        action_id=action.id,
        to=last,
        actor_id="U0001",
        actor_name="Dana S.",
    )
    if refused:
        with pytest.raises(Conflict, match=refused):
            await move
        assert action.status is first[-1]
    else:
        await move
        assert action.status is last
        assert [status for status, _ in await activity(session, action)] == [
            ActionStatus.OPEN,
            *path,
        ]


async def test_the_same_move_twice_changes_and_records_nothing_the_second_time(session):
    workspace, journey, stages, _ = await shop(session)
    observation = await make_observation(session, stage=stages[1], author_id="U0OBS1")
    action = await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_id=stages[1].id,
        title="Fix",
        observation_ids=[observation.id],
    )
    done_at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    for at in (done_at, datetime(2026, 12, 7, 9, 5, tzinfo=UTC)):
        await lifecycle.move(
            session,
            workspace_id=workspace.id,
            action_id=action.id,
            to=DONE,
            actor_id="U0001",
            actor_name="Dana S.",
            now=at,
        )
    assert action.done_at == action.status_changed_at == done_at
    assert len(await activity(session, action)) == 2
    assert len(await outbox(session, NotificationKind.DIRECT)) == 1
    assert len(await outbox(session, NotificationKind.UPDATE)) == 1


async def test_done_resolves_the_alert_it_came_from_as_resolved_by_the_action(session):
    workspace, journey, stages, _ = await shop(session)
    alert = await make_alert(session, await make_alert_rule(session, journey, stages[1]), stages[1])
    action = await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, title="Fix", alert_id=alert.id
    )
    await lifecycle.move(
        session,
        workspace_id=workspace.id,
        action_id=action.id,
        to=DONE,
        actor_id="U0001",
        actor_name="Dana S.",
    )
    assert alert.status is AlertStatus.RESOLVED
    assert (alert.resolved_by, alert.resolved_by_action_id) == ("Dana S.", action.id)
    logged = await alert_service.activity(session, workspace_id=workspace.id, alert_id=alert.id)
    assert logged[-1].action is AlertAction.RESOLVED and "Fix" in logged[-1].detail
    updates = await outbox(session, NotificationKind.UPDATE)
    assert {u.alert_id for u in updates} == {alert.id, None}


async def test_an_alert_resolved_meanwhile_is_left_as_it_was(session):
    workspace, journey, stages, _ = await shop(session)
    alert = await make_alert(session, await make_alert_rule(session, journey, stages[1]), stages[1])
    action = await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, title="Fix", alert_id=alert.id
    )
    await alert_service.resolve(
        session, workspace_id=workspace.id, alert_id=alert.id, actor_id="U2", actor_name="Sam"
    )
    await lifecycle.move(
        session,
        workspace_id=workspace.id,
        action_id=action.id,
        to=DONE,
        actor_id="U0001",
        actor_name="Dana S.",
    )
    assert (alert.resolved_by, alert.resolved_by_action_id) == ("Sam", None)


async def test_done_tells_each_author_and_plus_one_once_and_nobody_known_only_as_a_token(session):
    workspace, journey, stages, _ = await shop(session)
    first = await make_observation(session, stage=stages[1], author_id="U0ANA")
    second = await make_observation(session, stage=stages[1], author_id="U0ANA")
    by_token = await make_observation(session, stage=stages[1], author_id="token:abc")
    for author in ("U0BEN", "U0ANA"):
        await mention_service.mention(
            session,
            workspace_id=workspace.id,
            observation_id=by_token.id,
            author_id=author,
            author_name=author,
        )
    action = await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        title="<b>Fix</b>",
        observation_ids=[first.id, second.id, by_token.id],
    )
    await lifecycle.move(
        session,
        workspace_id=workspace.id,
        action_id=action.id,
        to=DONE,
        actor_id="U0001",
        actor_name="Dana S.",
    )
    dms = await outbox(session, NotificationKind.DIRECT)
    assert [(dm.channel_id, dm.action_id) for dm in dms] == [
        ("U0ANA", action.id),
        ("U0BEN", action.id),
    ]
    ana, ben = (dm.text for dm in dms)
    assert ana.startswith("Your observation about “customers abandon checkout")
    assert ben.startswith("The observation you +1'd about")
    assert "led to *&lt;b&gt;Fix&lt;/b&gt;*, marked done by Dana S.; we will tell you" in ana


async def test_dropping_tells_nobody(session):
    workspace, journey, stages, _ = await shop(session)
    observation = await make_observation(session, stage=stages[1], author_id="U0ANA")
    action = await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        title="Fix",
        observation_ids=[observation.id],
    )
    await lifecycle.move(
        session,
        workspace_id=workspace.id,
        action_id=action.id,
        to=DROP,
        actor_id="U0001",
        actor_name="Dana S.",
    )
    assert action.done_at is None
    assert not await outbox(session, NotificationKind.DIRECT)
