"""`POST /journeys/sign-in`: a personal link is exchanged once, within its lifetime, for a map
session that GraphQL and the exports take like an API token, for its lifetime, with the scope
its person has; spent, expired and forged links are refused saying to ask `/journey map` again.
"""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.auth.map_links import LINK_LIFETIME, SESSION_LIFETIME
from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support import factories
from tests.support.clock import WallClock
from tests.support.graphql_data import gid
from tests.support.journey_map_world import build_map_world

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VIEWER = "{ viewer { tokenName scope } }"
LOG = """mutation($input: LogObservationInput!) { logObservation(input: $input) {
  observation { authorName } errors { message } } }"""


@pytest.fixture
async def site(db, database_url):
    """The app on a clock the test moves, and a journey with a map."""
    app = create_app(Settings(), database_url=database_url)
    clock = WallClock(START)
    app.state.runtime.clock = clock
    async with db.begin() as session:
        world = await build_map_world(session)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http, world, clock


async def _link(db, world, person_id="U0001", *, team=False) -> str:
    async with db.begin() as session:
        if team:
            made = await factories.make_team(session, world.workspace, "Support")
            await factories.make_member(session, world.workspace, person_id, made)
        return await factories.make_map_link(session, world.workspace, person_id, now=START)


async def _exchange(http, link: str) -> httpx.Response:
    return await http.post("/journeys/sign-in", json={"link": link})


async def _graphql(http, secret: str, query: str, variables=None) -> httpx.Response:
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {secret}"},
    )


async def test_a_link_opens_a_session_graphql_and_the_exports_take(db, site):
    http, world, clock = site
    clock.advance(timedelta(minutes=2))
    response = await _exchange(http, await _link(db, world))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    opened = response.json()
    assert opened["scope"] == "READ" and opened["name"] == "Dana S."
    assert datetime.fromisoformat(opened["expiresAt"]) == clock.now + SESSION_LIFETIME

    viewer = (await _graphql(http, opened["session"], VIEWER)).json()["data"]["viewer"]
    assert viewer == {"tokenName": "Dana S.", "scope": "READ"}
    picture = await http.get(
        f"/journeys/{world.journey.id}.png",
        headers={"Authorization": f"Bearer {opened['session']}"},
    )
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")


async def test_a_session_ends_with_its_lifetime(db, site):
    http, world, clock = site
    secret = (await _exchange(http, await _link(db, world))).json()["session"]
    clock.advance(SESSION_LIFETIME - timedelta(seconds=1))
    assert (await _graphql(http, secret, VIEWER)).status_code == 200
    clock.advance(timedelta(seconds=1))
    ended = await _graphql(http, secret, VIEWER)
    assert ended.status_code == 401
    assert "/journey map" in ended.json()["message"]
    export = await http.get(
        f"/journeys/{world.journey.id}.svg", headers={"Authorization": f"Bearer {secret}"}
    )
    assert export.status_code == 401


async def test_a_read_only_session_cannot_change_anything(db, site):
    http, world, _ = site
    secret = (await _exchange(http, await _link(db, world))).json()["session"]
    body = (
        await _graphql(
            http,
            secret,
            LOG,
            {"input": {"text": "x", "kind": "INSIGHT", "stageId": gid("Stage", world.stages[0])}},
        )
    ).json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "/journey team" in error["message"]


async def test_a_member_of_a_team_edits_as_themselves(db, site):
    http, world, _ = site
    secret = (await _exchange(http, await _link(db, world, team=True))).json()["session"]
    body = (
        await _graphql(
            http,
            secret,
            LOG,
            {
                "input": {
                    "text": "Coupon field",
                    "kind": "INSIGHT",
                    "stageId": gid("Stage", world.stages[1]),
                }
            },
        )
    ).json()
    assert body["data"]["logObservation"] == {
        "observation": {"authorName": "Dana S."},
        "errors": [],
    }


async def test_a_link_is_refused_the_second_time(db, site):
    http, world, _ = site
    link = await _link(db, world)
    assert (await _exchange(http, link)).status_code == 200
    again = await _exchange(http, link)
    assert again.status_code == 403
    [error] = again.json()["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "reason": "used"}
    assert "used already" in error["message"] and "/journey map" in error["message"]


async def test_a_link_is_refused_once_expired(db, site):
    http, world, clock = site
    link = await _link(db, world)
    clock.advance(LINK_LIFETIME)
    refused = await _exchange(http, link)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["reason"] == "expired"
    assert "expired" in refused.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"link": "jol_forged"}, 403, "unknown"),
        ({"link": 42}, 400, None),
        ([1, 2], 400, None),
    ],
)
async def test_forged_and_malformed_links_are_refused(site, body, status, reason):
    http, _, _ = site
    refused = await http.post("/journeys/sign-in", json=body)
    assert refused.status_code == status
    assert refused.json()["errors"][0]["extensions"].get("reason") == reason


async def test_the_link_must_come_as_json(site):
    http, _, _ = site
    refused = await http.post("/journeys/sign-in", data={"link": "jol_x"})
    assert refused.status_code == 415


async def test_an_api_token_keeps_working(db, site):
    http, world, _ = site
    async with db.begin() as session:
        token = await factories.make_token(session, world.workspace, "read")
    assert (await _graphql(http, token, VIEWER)).json()["data"]["viewer"]["scope"] == "READ"
