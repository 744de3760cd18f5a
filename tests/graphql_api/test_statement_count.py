"""DataLoaders: a whole journey map costs the same few statements however big it is."""

from domain.alert import service as alert_service
from domain.mention import service as mention_service
from tests.support import factories
from tests.support.statements import counting_statements

MAP = """
{
  journeys {
    name
    stages {
      name
      touchpoints { name eventNames observationCount ownerTeam { name } }
      observations(first: 3) { edges { node { text } } pageInfo { hasNextPage } }
    }
  }
}
"""


async def _build(db, workspace, *, journeys: int, stages: int, touchpoints: int) -> None:
    async with db.begin() as session:
        teams = [await factories.make_team(session, workspace) for _ in range(3)]
        for _ in range(journeys):
            journey = await factories.make_journey(
                session, workspace, stages=tuple(f"stage {n}" for n in range(stages))
            )
            for stage in await factories.stages_of(session, journey):
                for n in range(touchpoints):
                    touchpoint = await factories.make_touchpoint(
                        session, stage, owner=teams[n % 3], event_names=(factories.unique("e"),)
                    )
                    await factories.make_observation(session, touchpoint=touchpoint)


async def _map_statements(gql, app) -> tuple[int, dict]:
    with counting_statements(app.state.runtime.engine, driver_calls=False) as statements:
        data = await gql.data(MAP)
    return len(statements), data


async def test_a_journey_map_costs_the_same_few_statements_however_big(gql, app, db, workspace):
    await _build(db, workspace, journeys=1, stages=2, touchpoints=1)
    small, _ = await _map_statements(gql, app)

    await _build(db, workspace, journeys=4, stages=8, touchpoints=5)
    big, big_map = await _map_statements(gql, app)

    touchpoints = [t for j in big_map["journeys"] for s in j["stages"] for t in s["touchpoints"]]
    assert len(touchpoints) == 1 * 2 * 1 + 4 * 8 * 5
    assert all(t["observationCount"] == 1 and t["ownerTeam"] for t in touchpoints)
    pages = [s["observations"] for j in big_map["journeys"] for s in j["stages"]]
    assert {len(page["edges"]) for page in pages} == {1, 3}
    # token, journeys, stages, touchpoints, owner teams, observation counts, observation pages
    assert small == big == 7


ALERTS = """
{
  alerts(first: 50) {
    edges { node {
      status stage { name } journey { name }
      rule { effectiveAlertWindowHours stage { name } stagesWatched { name } }
      activity { action actorName }
      observations { text observation { text } }
    } }
  }
  journeys { openAlerts { status } alertRules { recentDays } }
}
"""


async def _fire(db, workspace, *, journeys: int) -> None:
    """Per journey: an all-stages rule with an alert at each watched stage, some acted on."""
    async with db.begin() as session:
        for _ in range(journeys):
            journey = await factories.make_journey(session, workspace)
            rule = await factories.make_alert_rule(session, journey)
            for stage in (await factories.stages_of(session, journey))[:-1]:
                await factories.make_observation(session, stage=stage)
                alert = await factories.make_alert(session, rule, stage)
                await alert_service.acknowledge(
                    session,
                    workspace_id=workspace.id,
                    alert_id=alert.id,
                    actor_id="U1",
                    actor_name="D",
                )


async def test_an_alerts_list_costs_the_same_few_statements_however_long(gql, app, db, workspace):
    await _fire(db, workspace, journeys=1)
    with counting_statements(app.state.runtime.engine, driver_calls=False) as statements:
        await gql.data(ALERTS)
    small = len(statements)

    await _fire(db, workspace, journeys=5)
    with counting_statements(app.state.runtime.engine, driver_calls=False) as statements:
        data = await gql.data(ALERTS)
    big = len(statements)

    nodes = [edge["node"] for edge in data["alerts"]["edges"]]
    assert len(nodes) == 6 * 4
    assert all(n["rule"]["stagesWatched"] and len(n["activity"]) == 2 for n in nodes)
    assert all(n["observations"][0]["observation"] for n in nodes)
    # token, alerts, stages, journeys, rules, activity, observations, journeys (list),
    # open alerts, rules by journey, stages by journey
    assert small == big == 11


HEADLINES = """
{
  journeyHeadlines(days: 30) {
    journey { name stages { name } } entered completed conversionRate openAlerts
  }
}
"""


async def test_the_list_of_journeys_costs_the_same_few_statements_however_long(
    gql, app, db, workspace
):
    await _fire(db, workspace, journeys=1)
    with counting_statements(app.state.runtime.engine, driver_calls=False) as statements:
        await gql.data(HEADLINES)
    small = len(statements)

    await _fire(db, workspace, journeys=6)
    with counting_statements(app.state.runtime.engine, driver_calls=False) as statements:
        data = await gql.data(HEADLINES)
    big = len(statements)

    assert len(data["journeyHeadlines"]) == 7
    assert {h["openAlerts"] for h in data["journeyHeadlines"]} == {
        len(factories.DEFAULT_STAGES) - 1
    }
    # token, pending batches, journeys, figures, stages by journey
    assert small == big == 5


MENTIONS = """
{
  observations(first: 50) { edges { node {
    text mentions { count raisedTimes raisedByTeams people { authorName authorTeam { name } } }
  } } }
}
"""


async def _mentioned(db, workspace, *, observations: int, mentions: int) -> None:
    async with db.begin() as session:
        team = await factories.make_team(session, workspace)
        journey = await factories.make_journey(session, workspace, stages=("decision",))
        (stage,) = await factories.stages_of(session, journey)
        for _ in range(observations):
            observation = await factories.make_observation(session, stage=stage, team=team)
            for n in range(mentions):
                await mention_service.mention(
                    session,
                    workspace_id=workspace.id,
                    observation_id=observation.id,
                    author_id=f"U{n}",
                    author_name=f"Person {n}",
                    author_team_id=team.id,
                )


async def test_mentions_cost_the_same_few_statements_however_many(gql, app, db, workspace):
    await _mentioned(db, workspace, observations=1, mentions=1)
    with counting_statements(app.state.runtime.engine, driver_calls=False) as small:
        await gql.data(MENTIONS)

    await _mentioned(db, workspace, observations=20, mentions=4)
    with counting_statements(app.state.runtime.engine, driver_calls=False) as big:
        data = await gql.data(MENTIONS)

    nodes = [edge["node"]["mentions"] for edge in data["observations"]["edges"]]
    assert len(nodes) == 21
    assert sum(node["count"] for node in nodes) == 1 + 20 * 4
    assert {node["raisedByTeams"] for node in nodes} == {1}
    # token, observations, mentions, times raised, their teams
    assert len(small) == len(big) == 5
