"""`journeyMap`: one field with the whole map, the same figures as `stageMetrics`, errors as
data, the token's workspace only, and a fixed number of statements whatever the size."""

import httpx
import pytest

from domain.action import service as action_service
from domain.stage import service as stage_service
from tests.support import factories
from tests.support.cohorts import cohort_source
from tests.support.graphql_client import GraphQLClient
from tests.support.graphql_data import gid
from tests.support.journey_map_world import build_map_world
from tests.support.statements import counting_statements

MAP = """
query($journeyId: ID!, $days: Int, $from: Date, $to: Date, $personaId: ID, $channel: Channel) {
  journeyMap(journeyId: $journeyId, days: $days, from: $from, to: $to, personaId: $personaId,
             channel: $channel) {
    map {
      from to previousFrom previousTo asOf since until
      journey { name } persona { name } channel
      stages {
        stage { id name customerGoal expectedEmotion }
        figures { entered converted dropped pending conversionRate dropOffRate
                  medianTimeToConvert p90TimeToConvert }
        previous { entered conversionRate }
        change { entered conversionRate }
        touchpoints { reach touchpoint { name channel eventNames ownerTeam { name } } }
        emotions { counts { emotion observations } recorded sentiment expected expectedScore }
        observations { kind total observations { edges { node { text authorName
          authorTeam { name } permalink } } pageInfo { hasNextPage endCursor } } }
        alerts { status pValue assigneeName driver { label } recent { dropOffRate }
                 baseline { dropOffRate } }
        actions { observationCount action { title status ownerTeam { name } } }
      }
      journeyActions { action { title } }
      picture
    }
    errors { field message code }
  }
}
"""

METRICS = """
query($id: ID!, $from: Date!, $to: Date!, $asOf: DateTime, $personaId: ID) {
  journey(id: $id) { stageMetrics(from: $from, to: $to, asOf: $asOf, personaId: $personaId) {
    stages { entered converted dropped pending conversionRate dropOffRate
             medianTimeToConvert p90TimeToConvert } } }
}
"""


@pytest.fixture
async def world(db):
    async with db.begin() as session:
        return await build_map_world(session)


@pytest.fixture
async def gql(app, world, make_token):
    """A client holding a read token for the world's workspace."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, await make_token(world.workspace, "read"))


async def _journey_map(gql, world, **variables):
    data = await gql.data(MAP, {"journeyId": gid("Journey", world.journey), **variables})
    return data["journeyMap"]


async def test_every_stage_has_the_figures_stage_metrics_gives_for_the_period(gql, world):
    found = await _journey_map(gql, world, days=7)
    assert found["errors"] == []
    journey_map = found["map"]
    metrics = await gql.data(
        METRICS,
        {
            "id": gid("Journey", world.journey),
            "from": journey_map["from"],
            "to": journey_map["to"],
            "asOf": journey_map["asOf"],
        },
    )
    expected = metrics["journey"]["stageMetrics"]["stages"]
    assert [s["figures"] for s in journey_map["stages"]] == expected
    cart = journey_map["stages"][1]
    assert cart["stage"]["expectedEmotion"] == "CONFIDENCE"
    assert cart["change"]["entered"] == cart["figures"]["entered"] - cart["previous"]["entered"]
    assert cart["alerts"][0]["status"] == "OPEN"
    assert cart["actions"] == [
        {
            "observationCount": 1,
            "action": {
                "title": "Show shipping early",
                "status": "OPEN",
                "ownerTeam": {"name": "Growth"},
            },
        }
    ]
    pains = cart["observations"][0]
    assert (pains["kind"], pains["total"]) == ("PAIN_POINT", 4)
    assert pains["observations"]["pageInfo"]["hasNextPage"] is True
    assert cart["emotions"]["counts"][0] == {"emotion": "FRUSTRATION", "observations": 2}
    assert journey_map["picture"]["width"] == "container"
    assert [r["stage"] for r in journey_map["picture"]["data"]["values"]] == [
        "1. Look",
        "2. Cart",
        "3. Buy",
    ]


async def test_a_persona_gives_that_personas_figures(gql, world):
    persona_id = gid("Persona", world.persona)
    journey_map = (await _journey_map(gql, world, personaId=persona_id))["map"]
    metrics = await gql.data(
        METRICS,
        {
            "id": gid("Journey", world.journey),
            "from": journey_map["from"],
            "to": journey_map["to"],
            "asOf": journey_map["asOf"],
            "personaId": persona_id,
        },
    )
    assert journey_map["persona"] == {"name": "Bargain hunters"}
    assert [s["figures"] for s in journey_map["stages"]] == metrics["journey"]["stageMetrics"][
        "stages"
    ]


async def test_bad_input_comes_back_as_errors_naming_the_field(gql, world):
    cases = [
        ({"days": 0}, "days", "OUT_OF_RANGE"),
        ({"from": "2026-01-01"}, "to", "REQUIRED"),
        ({"personaId": gid("Journey", world.journey)}, "personaId", "INVALID"),
        ({"journeyId": "nonsense"}, "journeyId", "INVALID"),
    ]
    for variables, field, code in cases:
        found = await gql.data(MAP, {"journeyId": gid("Journey", world.journey), **variables})
        assert found["journeyMap"]["map"] is None
        [error] = found["journeyMap"]["errors"]
        assert (error["field"], error["code"]) == (field, code), variables


async def test_another_workspaces_journey_is_not_found(gql, world, other_workspace, make_token):
    gql.token = await make_token(other_workspace, "read")
    found = await _journey_map(gql, world)
    assert found["map"] is None
    assert found["errors"][0]["code"] == "NOT_FOUND"


async def _grow(db, world, *, touchpoints_per_stage: int, observations: int) -> None:
    """More of everything the map shows: two stages, and at every stage touchpoints with
    observations, an open alert and actions, one addressing them."""
    async with db.begin() as session:
        team = await factories.make_team(session, world.workspace)
        added = [
            await stage_service.add(
                session, workspace_id=world.workspace.id, journey_id=world.journey.id, name=name
            )
            for name in (factories.unique("Return"), factories.unique("Refer"))
        ]
        rule = await factories.make_alert_rule(session, world.journey, added[0])
        for stage in await factories.stages_of(session, world.journey):
            seen = []
            for _ in range(touchpoints_per_stage):
                touchpoint = await factories.make_touchpoint(
                    session, stage, owner=team, event_names=(factories.unique("e"),)
                )
                for kind in ("pain_point", "insight", "question")[:observations]:
                    observation = await factories.make_observation(
                        session, touchpoint=touchpoint, kind=kind, emotion="hope", team=team
                    )
                    seen.append(observation.id)
            await factories.make_alert(session, rule, stage)
            for title in ("Fix it", "Look into it"):
                await action_service.create(
                    session,
                    workspace_id=world.workspace.id,
                    journey_id=world.journey.id,
                    title=factories.unique(title),
                    stage_id=stage.id,
                    owner_team_id=team.id,
                    observation_ids=seen,
                )


async def test_a_map_costs_the_same_statements_however_big_the_journey(gql, world, app, db):
    for persona in (None, gid("Persona", world.persona)):
        await _journey_map(gql, world, personaId=persona)  # folds what was ingested
        with counting_statements(app.state.runtime.engine, app.state.runtime.readers) as statements:
            small = await _journey_map(gql, world, personaId=persona)
        await _grow(db, world, touchpoints_per_stage=6, observations=3)
        await _journey_map(gql, world, personaId=persona)
        with counting_statements(app.state.runtime.engine, app.state.runtime.readers) as grown:
            big = await _journey_map(gql, world, personaId=persona)
        for lane in ("touchpoints", "alerts", "actions"):
            grown_lane = [len(s[lane]) for s in big["map"]["stages"]]
            assert sum(len(s[lane]) for s in small["map"]["stages"]) < sum(grown_lane), lane
        assert len(big["map"]["stages"]) == len(small["map"]["stages"]) + 2
        assert len(statements) == len(grown), (statements, grown)
        # token, transaction, journey, persona; the stage metrics for both periods in one
        # snapshot of their own (its connection's ping, the catch-up check, the journey and
        # its stages once, then from the rollups, the period before without reach; for a
        # persona also, per period, whether anybody had another one then); meanwhile stages,
        # touchpoints, emotions, observations, alerts, actions, their observations; owner
        # teams (one batch)
        assert len(grown) == (32 if persona is None else 35)


FALLS = """
query($journeyId: ID!) {
  journeyMap(journeyId: $journeyId) {
    map { stages { stage { name } detectableFalls { stage { name } points reason } } }
  }
}
"""


async def test_each_stage_says_what_the_rules_watching_it_can_detect(gql, app, db, world):
    async with db.begin() as session:
        look, _cart, _buy = await factories.stages_of(session, world.journey)
        await factories.make_alert_rule(session, world.journey)  # every stage but the last
        paused = await factories.make_alert_rule(session, world.journey, look)
        paused.enabled = False
    # 300 customers a day converting 50 % at every stage.
    app.state.runtime.cohorts = cohort_source(dropping_stage_id=None)
    data = await gql.data(FALLS, {"journeyId": gid("Journey", world.journey)})
    shown = data["journeyMap"]["map"]["stages"]
    can = "Can detect a fall of 7.9 points from 50.0 % (900 recent and 8400 baseline customers)."
    assert [[f["reason"] for f in s["detectableFalls"]] for s in shown] == [
        [can],  # the all-stages rule; the paused one says nothing
        [can, can],  # the all-stages rule and the world's rule on Cart
        [],  # the last stage has no conversion to watch
    ]
    assert [{f["stage"]["name"] for f in s["detectableFalls"]} for s in shown[:2]] == [
        {"Look"},
        {"Cart"},
    ]
    assert round(shown[1]["detectableFalls"][0]["points"], 2) == 7.9
