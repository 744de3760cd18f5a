"""observationLogged (and what every journey feed shares) over graphql-transport-ws, delivered
between server processes by PostgreSQL LISTEN/NOTIFY: two real servers on their own ports share
only the database."""

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from domain.live import Topic
from tests.support.graphql_data import gid
from tests.support.live_servers import Served, next_message, subscribed

SUBSCRIBE = "subscription($id: ID!) { observationLogged(journeyId: $id) { text stage { name } } }"
LOG = (
    "mutation($input: LogObservationInput!) { logObservation(input: $input) "
    "{ observation { id } errors { message } } }"
)


async def log_on(server: Served, token: str, stage, text: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{server.address}/graphql",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "query": LOG,
                "variables": {
                    "input": {"stageId": gid("Stage", stage), "text": text, "kind": "INSIGHT"}
                },
            },
        )
    assert response.json()["data"]["logObservation"]["errors"] == []


async def first_delivery(ws, server: Served, token: str, stage) -> dict:
    """The subscription starts listening asynchronously: log until the first one arrives."""
    for attempt in range(20):
        await log_on(server, token, stage, f"seen on B #{attempt}")
        message = await next_message(ws, timeout=0.5)
        if message is not None:
            return message
    raise AssertionError("no observation reached the subscriber")


async def test_an_observation_logged_on_one_server_reaches_a_subscriber_on_another(
    servers, seeded, workspace, make_token
):
    a, b = servers
    token = await make_token(workspace)
    async with subscribed(
        a.address, token, SUBSCRIBE, {"id": gid("Journey", seeded.journey)}
    ) as ws:
        message = await first_delivery(ws, b, token, seeded.stages[2])

        assert message["type"] == "next"
        observation = message["payload"]["data"]["observationLogged"]
        assert observation["text"].startswith("seen on B #")
        assert observation["stage"] == {"name": "retention"}
        assert a.live.subscriber_count(Topic.OBSERVATION_LOGGED) == 1

    # A client that goes away leaves nothing behind in the listener.
    for _ in range(100):
        if a.live.subscriber_count(Topic.OBSERVATION_LOGGED) == 0:
            break
        await asyncio.sleep(0.01)
    assert a.live.subscriber_count(Topic.OBSERVATION_LOGGED) == 0


async def test_a_subscriber_hears_nothing_of_other_journeys_or_workspaces(
    servers, db, seeded, workspace, other_workspace, make_token
):
    from tests.support import factories
    from tests.support.graphql_data import seed

    a, b = servers
    token = await make_token(workspace)
    theirs = await seed(db, other_workspace)
    async with db.begin() as session:
        other_journey = await factories.make_journey(session, workspace, stages=("one",))
        [other_stage] = await factories.stages_of(session, other_journey)
    async with subscribed(
        a.address, token, SUBSCRIBE, {"id": gid("Journey", seeded.journey)}
    ) as ws:
        await first_delivery(ws, b, token, seeded.stages[0])

        await log_on(b, await make_token(other_workspace), theirs.stages[0], "other workspace")
        await log_on(b, token, other_stage, "other journey")
        await log_on(b, token, seeded.stages[0], "this journey")

        heard = []
        while not heard or heard[-1] != "this journey":
            message = await next_message(ws, timeout=2)
            assert message is not None, heard
            heard.append(message["payload"]["data"]["observationLogged"]["text"])
        assert not {"other workspace", "other journey"} & set(heard)


@pytest.mark.parametrize(
    "query", [SUBSCRIBE, "subscription($id: ID!) { alertFired(journeyId: $id) { id } }"]
)
async def test_subscribing_to_another_workspaces_journey_is_an_error(
    servers, db, workspace, other_workspace, make_token, query
):
    from tests.support.graphql_data import seed

    a, _ = servers
    theirs = await seed(db, other_workspace)
    token = await make_token(workspace)
    async with subscribed(a.address, token, query, {"id": gid("Journey", theirs.journey)}) as ws:
        message = await next_message(ws, timeout=2)
    assert message["type"] == "next"
    [error] = message["payload"]["errors"]
    assert error["message"] == "No journey with that id exists in this workspace."
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "journeyId"}


async def test_a_subscription_without_a_token_is_closed(servers):
    a, _ = servers
    async with connect(f"ws://{a.address}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4403
