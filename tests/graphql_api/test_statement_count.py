"""DataLoaders: a whole journey map costs the same few statements however big it is."""

import contextlib

from sqlalchemy import event

from tests import factories

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


@contextlib.contextmanager
def counting_statements(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


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
    with counting_statements(app.state.runtime.engine) as statements:
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
