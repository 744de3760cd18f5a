"""alertFired across processes: the worker fires an alert through its own connection, and a
subscriber on a web server hears it through that server's LISTEN connection."""

import asyncio
from datetime import date

from domain.live import Topic
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.alerting import evaluate_all
from tests.support import factories
from tests.support.cohorts import at, cohort_source
from tests.support.graphql_data import gid, seed
from tests.support.live_servers import next_message, subscribed

SUBSCRIBE = """subscription($id: ID!) {
  alertFired(journeyId: $id) {
    id status stage { name } recent { entered converted } driver { label }
  }
}"""


async def _listening(served) -> None:
    """Wait until the subscription is registered with the server's listener."""
    for _ in range(200):
        if served.live.subscriber_count(Topic.ALERT_FIRED) == 1:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never started listening")


async def test_an_alert_the_worker_fires_reaches_a_subscriber_of_its_journey_only(
    servers, db, database_url, seeded, workspace, other_workspace, make_token
):
    a, _ = servers
    theirs = await seed(db, other_workspace)
    async with db.begin() as session:
        rule = await factories.make_alert_rule(session, seeded.journey)
        other_journey = await factories.make_journey(session, workspace)
        other_rule = await factories.make_alert_rule(session, other_journey)
        their_rule = await factories.make_alert_rule(session, theirs.journey)
    token = await make_token(workspace)
    async with subscribed(
        a.address, token, SUBSCRIBE, {"id": gid("Journey", seeded.journey)}
    ) as ws:
        await _listening(a)
        async with db.begin() as session:
            other_stage = (await factories.stages_of(session, other_journey))[0]
            await factories.make_alert(session, other_rule, other_stage)
            await factories.make_alert(session, their_rule, theirs.stages[1])
        worker = Runtime.create(Settings(), database_url)  # a process of its own
        try:
            evaluation = await evaluate_all(
                worker, cohorts=cohort_source(seeded.stages[1].id), at=at(date(2026, 3, 11))
            )
        finally:
            await worker.close()
        outcomes = evaluation.outcomes
        [fired] = [o.alert for o in outcomes if o.rule_id == rule.id and o.alert is not None]

        message = await next_message(ws, timeout=5)
        assert message is not None and message["type"] == "next", message
        assert message["payload"]["data"]["alertFired"] == {
            "id": gid("Alert", fired),
            "status": "OPEN",
            "stage": {"name": "decision"},
            "recent": {"entered": 900, "converted": 315},
            "driver": {"label": "ad"},
        }
        assert await next_message(ws, timeout=0.3) is None  # nothing of the other two
