"""journeyFiguresChanged: events sent through the ingestion door are folded by the server's
background folder, and each journey whose figures moved is announced once per burst, to its
own workspace's subscribers only."""

import asyncio
from datetime import UTC, datetime

import httpx

from domain.live import Topic
from tests.support import factories
from tests.support.graphql_data import gid, seed
from tests.support.live_servers import Served, next_message, serving, subscribed

SUBSCRIBE = """subscription($id: ID!) {
  journeyFiguresChanged(journeyId: $id) { journeyId latestReceivedAt }
}"""


async def _listening(served: Served, subscribers: int) -> None:
    for _ in range(200):
        if served.live.subscriber_count(Topic.FIGURES_CHANGED) == subscribers:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscriptions never started listening")


async def _send(served: Served, token: str, batch: int) -> None:
    now = datetime.now(UTC).isoformat()
    events = [
        {
            "type": "track",
            "event": "Order Completed",
            "userId": f"customer-{batch}-{n}",
            "messageId": f"order-{batch}-{n}",
            "timestamp": now,
        }
        for n in range(5)
    ]
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{served.address}/v1/batch",
            headers={"Authorization": f"Bearer {token}"},
            json={"batch": events},
        )
    assert response.status_code == 200, response.text


async def test_a_burst_of_batches_is_one_notice_for_the_journey_it_moved_only(
    db, database_url, seeded, workspace, other_workspace, make_token
):
    theirs = await seed(db, other_workspace)  # the same event names, in another workspace
    async with db.begin() as session:
        quiet = await factories.make_journey(session, workspace, name="Returns")
        [first_quiet_stage, *_] = await factories.stages_of(session, quiet)
        await factories.make_touchpoint(session, first_quiet_stage, event_names=("Return Asked",))
    ours, their_token = await make_token(workspace), await make_token(other_workspace)
    async with (
        serving(database_url) as served,
        subscribed(served.address, ours, SUBSCRIBE, {"id": gid("Journey", seeded.journey)}) as ws,
        subscribed(served.address, ours, SUBSCRIBE, {"id": gid("Journey", quiet)}) as ws_quiet,
        subscribed(
            served.address, their_token, SUBSCRIBE, {"id": gid("Journey", theirs.journey)}
        ) as ws_theirs,
    ):
        await _listening(served, 3)
        for batch in range(3):
            await _send(served, ours, batch)

        message = await next_message(ws, timeout=5)
        assert message is not None and message["type"] == "next", message
        notice = message["payload"]["data"]["journeyFiguresChanged"]
        assert notice["journeyId"] == gid("Journey", seeded.journey)
        assert datetime.fromisoformat(notice["latestReceivedAt"]) <= datetime.now(UTC)
        # the burst is one notice; the other journey and the other workspace hear nothing
        assert await next_message(ws, timeout=1.5) is None
        assert await next_message(ws_quiet, timeout=0.1) is None
        assert await next_message(ws_theirs, timeout=0.1) is None

        await _send(served, ours, 3)  # later events: a notice of their own
        message = await next_message(ws, timeout=5)
        assert message is not None and message["type"] == "next", message


async def test_a_journey_of_another_workspace_cannot_be_followed(
    db, database_url, seeded, other_workspace, make_token
):
    their_token = await make_token(other_workspace)
    async with (
        serving(database_url) as served,
        subscribed(
            served.address, their_token, SUBSCRIBE, {"id": gid("Journey", seeded.journey)}
        ) as ws,
    ):
        message = await next_message(ws, timeout=5)
        assert message is not None, "no answer"
        [error] = message["payload"]["errors"]
        assert error["extensions"]["code"] == "NOT_FOUND", message
