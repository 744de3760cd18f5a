"""FiguresNotices: folds of a burst of batches are announced as about one notice a second per
journey whose figures moved, and nothing for the workspace's other journeys."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.live import Topic
from domain.metrics import fold
from infrastructure.figures_notices import FiguresNotices
from infrastructure.live import LiveListener
from tests.support import factories


@pytest.fixture
async def listener(database_url):
    listener = LiveListener(database_url)
    await listener.start()
    yield listener
    await listener.stop()


async def _heard(messages, seconds: float) -> list[dict]:
    heard: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            heard.append(await asyncio.wait_for(anext(messages), left))
        except TimeoutError:
            break
    return heard


async def test_a_burst_of_folds_is_announced_about_once_a_second_for_the_journey_it_moved(
    db, listener
):
    start = datetime.now(UTC) - timedelta(minutes=1)
    async with db.begin() as session:
        workspace = await factories.make_workspace(session)
        shop = await factories.make_journey(session, workspace, name="Shop")
        returns = await factories.make_journey(session, workspace, name="Returns")
        await factories.make_touchpoint(
            session, (await factories.stages_of(session, shop))[0], event_names=("Order Done",)
        )
        await factories.make_touchpoint(
            session,
            (await factories.stages_of(session, returns))[0],
            event_names=("Return Asked",),
        )
    notices = FiguresNotices(db, every=0.5, clock=lambda: start)
    messages = listener.messages(Topic.FIGURES_CHANGED)
    received = [start + timedelta(seconds=n + 1) for n in range(6)]
    try:
        for n, at in enumerate(received):
            async with db.begin() as session:
                event = factories.track(f"shopper-{n}", "Order Done", at.isoformat())
                await factories.send(session, workspace, event, received_at=at)
                await fold.catch_up(session, workspace_id=workspace.id)
            notices.folded(workspace.id)
        heard = await _heard(messages, 1.5)
    finally:
        await notices.close()
        await messages.aclose()

    assert 1 <= len(heard) <= 2  # the first fold at once, the rest together half a second on
    assert {m["journey_id"] for m in heard} == {str(shop.id)}
    assert {m["workspace_id"] for m in heard} == {str(workspace.id)}
    assert datetime.fromisoformat(heard[-1]["latest_received_at"]) == received[-1]
