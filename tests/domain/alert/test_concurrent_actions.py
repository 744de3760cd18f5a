"""Acting on an alert is serialised per alert: the same action taken many times at once (five
people clicking, a frontend retrying) records one change, and the alert ends as one of them
left it."""

import asyncio

import pytest
from sqlalchemy import func, select

from domain.alert import service as alert_service
from domain.alert.models import AlertAction, AlertActivity, AlertStatus
from domain.errors import Conflict
from tests.support.factories import (
    make_alert,
    make_alert_rule,
    make_journey,
    make_workspace,
    stages_of,
)

ME = {"actor_id": "U0ME", "actor_name": "Dana"}
ACTIONS = {
    AlertAction.ACKNOWLEDGED: (alert_service.acknowledge, {}),
    AlertAction.ASSIGNED: (alert_service.assign, {"assignee_id": "U0ME", "assignee_name": "Dana"}),
    AlertAction.MUTED: (alert_service.mute, {"hours": 24}),
    AlertAction.RESOLVED: (alert_service.resolve, {}),
}


@pytest.fixture
async def alert(db):
    async with db.begin() as session:
        workspace = await make_workspace(session)
        journey = await make_journey(session, workspace)
        stage = (await stages_of(session, journey))[1]
        rule = await make_alert_rule(session, journey)
        return await make_alert(session, rule, stage)


async def times_recorded(db, alert, action: AlertAction) -> int:
    async with db() as session:
        return await session.scalar(
            select(func.count())
            .select_from(AlertActivity)
            .where(AlertActivity.alert_id == alert.id, AlertActivity.action == action)
        )


@pytest.mark.parametrize("action", list(ACTIONS), ids=[a.value for a in ACTIONS])
async def test_ten_of_the_same_action_at_once_record_one(db, alert, action):
    use_case, arguments = ACTIONS[action]

    async def act():
        async with db.begin() as session:
            await use_case(
                session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME, **arguments
            )

    await asyncio.gather(*(act() for _ in range(10)))
    assert await times_recorded(db, alert, action) == 1


async def test_resolving_while_others_mute_leaves_a_resolved_alert_and_clear_refusals(db, alert):
    async def resolve():
        async with db.begin() as session:
            await alert_service.resolve(
                session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME
            )

    async def mute():
        async with db.begin() as session:
            await alert_service.mute(
                session, workspace_id=alert.workspace_id, alert_id=alert.id, hours=1, **ME
            )

    outcomes = await asyncio.gather(resolve(), *(mute() for _ in range(4)), return_exceptions=True)
    assert all(o is None or isinstance(o, Conflict) for o in outcomes), outcomes
    async with db() as session:
        now = await alert_service.get(session, workspace_id=alert.workspace_id, alert_id=alert.id)
    assert now.status is AlertStatus.RESOLVED
    assert await times_recorded(db, alert, AlertAction.RESOLVED) == 1
    assert await times_recorded(db, alert, AlertAction.MUTED) <= 1
