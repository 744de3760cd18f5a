"""Each query, read back through GraphQL from data the use cases wrote."""

from datetime import UTC, datetime, timedelta

from tests.support import factories
from tests.support.graphql_data import gid

JOURNEY_MAP = """
query Map($id: ID!) {
  journey(id: $id) {
    id name conversionWindowDays timezone persona { name }
    stages {
      name position
      touchpoints { key name channel eventNames observationCount ownerTeam { name } }
    }
  }
}
"""


async def test_journey_shows_its_stages_touchpoints_owners_and_counts(gql, seeded):
    data = await gql.data(JOURNEY_MAP, {"id": gid("Journey", seeded.journey)})

    journey = data["journey"]
    assert journey["name"] == "Online shop"
    assert journey["persona"] is None
    assert [s["name"] for s in journey["stages"]] == ["awareness", "decision", "retention"]
    assert [s["position"] for s in journey["stages"]] == [0, 1, 2]
    assert journey["stages"][1]["touchpoints"] == [
        {
            "key": "checkout",
            "name": "Checkout",
            "channel": "WEB",
            "eventNames": ["Order Completed"],
            "observationCount": 1,
            "ownerTeam": {"name": "support"},
        }
    ]
    assert journey["stages"][0]["touchpoints"][0]["ownerTeam"] is None
    assert journey["stages"][0]["touchpoints"][0]["observationCount"] == 0
    assert journey["stages"][2]["touchpoints"] == []


async def test_journey_with_an_unknown_id_is_null(gql, seeded):
    from graphql_api.ids import encode

    data = await gql.data(
        "query($id: ID!) { journey(id: $id) { id } }",
        {"id": encode("Journey", seeded.team.id)},  # a real uuid, but not a journey's
    )
    assert data == {"journey": None}


async def test_journey_with_an_id_of_another_type_is_a_clear_error(gql, seeded):
    body = await gql.run(
        "query($id: ID!) { journey(id: $id) { id } }", {"id": gid("Team", seeded.team)}
    )
    [error] = body["errors"]
    assert "is not a Journey id" in error["message"]
    assert error["extensions"] == {"code": "INVALID", "field": "id"}


async def test_journeys_personas_and_teams_are_listed_by_name(gql, db, workspace):
    async with db.begin() as session:
        for name in ("zeta", "alpha"):
            await factories.make_journey(session, workspace, name=name, stages=())
            await factories.make_team(session, workspace, name=name)
            await factories.make_persona(session, workspace, name=name)
    data = await gql.data("{ journeys { name } teams { name } personas { name } }")
    assert data == {
        key: [{"name": "alpha"}, {"name": "zeta"}] for key in ("journeys", "teams", "personas")
    }


async def test_node_finds_each_kind_of_object_by_its_global_id(gql, seeded):
    for type_name, row, field in [
        ("Journey", seeded.journey, "name"),
        ("Stage", seeded.stages[0], "name"),
        ("Touchpoint", seeded.touchpoints[0], "name"),
        ("Team", seeded.team, "name"),
        ("Observation", seeded.observation, "text"),
    ]:
        data = await gql.data(
            "query($id: ID!) { node(id: $id) { __typename id "
            f"... on {type_name} {{ {field} }} }} }}",
            {"id": gid(type_name, row)},
        )
        assert data["node"]["__typename"] == type_name
        assert data["node"]["id"] == gid(type_name, row)
        assert data["node"][field] == getattr(row, field)


async def test_node_with_a_malformed_id_is_a_clear_error(gql):
    body = await gql.run('{ node(id: "not-an-id") { id } }')
    [error] = body["errors"]
    assert "is not an id this API gave out" in error["message"]
    assert error["extensions"]["code"] == "INVALID"


OBSERVATIONS = """
query($filter: ObservationFilter, $first: Int!, $after: String) {
  observations(filter: $filter, first: $first, after: $after) {
    edges {
      cursor
      node { text kind emotion touchpoint { key } stage { name } authorTeam { name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def _observations(db, seeded, count: int) -> None:
    for n in range(count):  # one transaction each: created_at is the transaction's time
        async with db.begin() as session:
            await factories.make_observation(
                session, touchpoint=seeded.touchpoints[0], text=f"note {n}", kind="insight"
            )


async def test_observations_page_through_newest_first(gql, db, seeded):
    await _observations(db, seeded, 4)
    seen, after = [], None
    while True:
        data = await gql.data(OBSERVATIONS, {"first": 2, "after": after})
        page = data["observations"]
        seen += [edge["node"]["text"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["note 3", "note 2", "note 1", "note 0", seeded.observation.text]


async def test_observations_filter_by_journey_stage_touchpoint_team_kind_and_emotion(
    gql, db, seeded
):
    await _observations(db, seeded, 2)
    async with db.begin() as session:
        await factories.make_observation(
            session, stage=seeded.stages[2], text="loyal", kind="praise", emotion="loyalty"
        )

    async def texts(filter: dict) -> list[str]:
        data = await gql.data(OBSERVATIONS, {"first": 50, "filter": filter})
        return [edge["node"]["text"] for edge in data["observations"]["edges"]]

    checkout = seeded.observation.text
    assert len(await texts({"journeyId": gid("Journey", seeded.journey)})) == 4
    assert await texts({"stageId": gid("Stage", seeded.stages[2])}) == ["loyal"]
    assert await texts({"touchpointId": gid("Touchpoint", seeded.touchpoints[1])}) == [checkout]
    assert await texts({"teamId": gid("Team", seeded.team)}) == [checkout]
    assert await texts({"kind": "INSIGHT"}) == ["note 1", "note 0"]
    assert await texts({"emotion": "LOYALTY"}) == ["loyal"]


async def test_observations_filter_by_time_range(gql, db, seeded):
    now = datetime.now(UTC)

    async def count(filter: dict) -> int:
        data = await gql.data(OBSERVATIONS, {"first": 10, "filter": filter})
        return len(data["observations"]["edges"])

    assert await count({"since": (now - timedelta(hours=1)).isoformat()}) == 1
    assert await count({"until": (now - timedelta(hours=1)).isoformat()}) == 0


async def test_observations_refuse_a_page_over_the_cap(gql):
    body = await gql.run(OBSERVATIONS, {"first": 101})
    [error] = body["errors"]
    assert "between 1 and 100" in error["message"]
    assert error["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}


async def test_observations_refuse_a_cursor_they_did_not_give_out(gql):
    body = await gql.run(OBSERVATIONS, {"first": 5, "after": "bogus"})
    assert body["errors"][0]["extensions"]["field"] == "after"


async def test_observations_refuse_a_filter_with_a_malformed_id(gql):
    body = await gql.run(OBSERVATIONS, {"first": 5, "filter": {"stageId": "nope"}})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "stageId"}


STAGE_OBSERVATIONS = """
query($id: ID!, $first: Int!, $after: String) {
  node(id: $id) {
    ... on Stage {
      observations(first: $first, after: $after) {
        edges { node { text } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""


async def test_stage_pages_through_its_observations(gql, db, seeded):
    await _observations(db, seeded, 2)  # at the first stage's social ad
    stage = gid("Stage", seeded.stages[0])

    first = await gql.data(STAGE_OBSERVATIONS, {"id": stage, "first": 1})
    page = first["node"]["observations"]
    assert page["edges"] == [{"node": {"text": "note 1"}}]
    assert page["pageInfo"]["hasNextPage"] is True

    second = await gql.data(
        STAGE_OBSERVATIONS, {"id": stage, "first": 5, "after": page["pageInfo"]["endCursor"]}
    )
    page = second["node"]["observations"]
    assert page["edges"] == [{"node": {"text": "note 0"}}]
    assert page["pageInfo"]["hasNextPage"] is False


async def test_stage_observations_refuse_a_page_over_the_cap(gql, seeded):
    body = await gql.run(STAGE_OBSERVATIONS, {"id": gid("Stage", seeded.stages[0]), "first": 500})
    assert body["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}


async def test_viewer_tells_the_token_scope_and_workspace(gql, workspace):
    data = await gql.data("{ viewer { scope tokenName workspace { name } } }")
    assert data["viewer"]["scope"] == "WRITE"
    assert data["viewer"]["workspace"] == {"name": workspace.name}
