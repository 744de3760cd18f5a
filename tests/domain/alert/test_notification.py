from datetime import timedelta

import sqlalchemy as sa

from domain.alert import service as alert_service
from domain.notification import service as notification_service
from domain.notification.models import Notification, NotificationKind
from tests.support.factories import (
    make_alert,
    make_alert_rule,
    make_journey,
    make_workspace,
    stages_of,
)

LEASE = timedelta(minutes=1)
ME = {"actor_id": "U0ME", "actor_name": "Dana"}


async def _alert(session, channels=("C0SALES01",)):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    rule = await make_alert_rule(session, journey)
    return await make_alert(session, rule, (await stages_of(session, journey))[0], channels)


async def test_updates_and_replies_wait_for_their_post_then_go_in_order(session):
    alert = await _alert(session)
    await alert_service.acknowledge(
        session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME
    )
    await notification_service.reply_to_alert(
        session, workspace_id=alert.workspace_id, alert_id=alert.id, text="note"
    )
    (post,) = await notification_service.claim_due(session, limit=10, lease=LEASE)
    assert post.kind is NotificationKind.POST
    assert await notification_service.claim_due(session, limit=10, lease=LEASE) == []
    await notification_service.mark_sent(session, post, ts="1.0")
    (first,) = await notification_service.claim_due(session, limit=10, lease=LEASE)
    assert first.kind is NotificationKind.UPDATE  # the reply waits for the earlier update
    await notification_service.mark_sent(session, first, ts="1.0")
    (second,) = await notification_service.claim_due(session, limit=10, lease=LEASE)
    assert (second.kind, await notification_service.parent_ts(session, second)) == (
        NotificationKind.REPLY,
        "1.0",
    )


async def test_a_lapsed_claim_taken_over_by_another_dispatcher_is_not_renewed(db):
    async with db.begin() as session:
        await _alert(session)
    async with db.begin() as session:
        (mine,) = await notification_service.claim_due(session, limit=1, lease=LEASE)
        assert await notification_service.renew_claim(session, mine, lease=LEASE)
        # The lease runs out while this dispatcher is busy elsewhere.
        await session.execute(
            sa.update(Notification)
            .values(claimed_until=sa.func.now() - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )
    async with db.begin() as session:
        (theirs,) = await notification_service.claim_due(session, limit=1, lease=LEASE)
    assert theirs.id == mine.id and theirs.attempts == 2
    async with db.begin() as session:
        assert not await notification_service.renew_claim(session, mine, lease=LEASE)
        assert await notification_service.renew_claim(session, theirs, lease=LEASE)


async def test_one_post_per_channel_however_often_routed(session):
    alert = await _alert(session, channels=("C0SALES01",))
    await notification_service.post_alert(
        session,
        workspace_id=alert.workspace_id,
        alert_id=alert.id,
        channel_ids=["C0SALES01", "C0OTHER01", "C0OTHER01", ""],
    )
    rows = await session.scalars(sa.select(Notification.channel_id).order_by("channel_id"))
    assert list(rows) == ["C0OTHER01", "C0SALES01"]
