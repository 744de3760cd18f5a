"""Bearer tokens: no token is a 401, a read token cannot write, a token sees one workspace."""

import pytest

from tests.support.graphql_data import gid, seed

TEAMS = "{ teams { name } }"
CREATE_TEAM = (
    "mutation($input: CreateTeamInput!) { createTeam(input: $input) "
    "{ team { id name } errors { field message code } } }"
)


async def test_a_query_without_a_token_is_refused_with_401(gql):
    response = await gql.post(TEAMS, token=None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["message"]
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_an_unknown_token_is_refused_with_401(gql):
    response = await gql.post(TEAMS, token="jo_not-a-real-token")
    assert response.status_code == 401
    assert "unknown or revoked" in response.json()["message"]
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_graphiql_loads_without_a_token(gql):
    response = await gql.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_by_get_are_not_run(gql):
    response = await gql.http.get(
        "/graphql", params={"query": TEAMS}, headers={"Authorization": f"Bearer {gql.token}"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "queries are not allowed when using GET"}]}


async def test_a_read_token_can_query_but_not_mutate(gql, workspace, make_token):
    read_token = await make_token(workspace, "read")
    assert (await gql.data(TEAMS, token=read_token)) == {"teams": []}

    body = await gql.run(CREATE_TEAM, {"input": {"name": "sales"}}, token=read_token)

    assert body["data"] is None
    [error] = body["errors"]
    assert "can only read" in error["message"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.data(TEAMS))["teams"] == []


async def test_a_token_sees_only_its_own_workspace(gql, db, other_workspace):
    theirs = await seed(db, other_workspace)
    foreign_ids = [
        gid("Journey", theirs.journey),
        gid("Stage", theirs.stages[0]),
        gid("Touchpoint", theirs.touchpoints[1]),
        gid("Team", theirs.team),
        gid("Observation", theirs.observation),
    ]

    data = await gql.data("{ journeys { id } teams { id } personas { id } }")
    assert data == {"journeys": [], "teams": [], "personas": []}
    for foreign_id in foreign_ids:
        node = await gql.data("query($id: ID!) { node(id: $id) { id } }", {"id": foreign_id})
        assert node == {"node": None}
    journey = await gql.data(
        "query($id: ID!) { journey(id: $id) { id } }", {"id": gid("Journey", theirs.journey)}
    )
    assert journey == {"journey": None}
    page = await gql.data(
        "query($f: ObservationFilter) { observations(filter: $f) { edges { node { id } } } }",
        {"f": {"journeyId": gid("Journey", theirs.journey)}},
    )
    assert page["observations"]["edges"] == []


@pytest.mark.parametrize(
    ("mutation", "input_of"),
    [
        ("addStage", lambda t: {"journeyId": gid("Journey", t.journey), "name": "advocacy"}),
        (
            "addTouchpoint",
            lambda t: {"stageId": gid("Stage", t.stages[0]), "name": "Search", "channel": "SEARCH"},
        ),
        ("updateTouchpoint", lambda t: {"id": gid("Touchpoint", t.touchpoints[0]), "name": "x"}),
        (
            "logObservation",
            lambda t: {
                "touchpointId": gid("Touchpoint", t.touchpoints[0]),
                "text": "hi",
                "kind": "INSIGHT",
            },
        ),
        ("deleteJourney", lambda t: {"id": gid("Journey", t.journey)}),
        ("updateTeam", lambda t: {"id": gid("Team", t.team), "name": "mine now"}),
    ],
)
async def test_mutations_cannot_reach_another_workspace_and_say_not_found(
    gql, db, other_workspace, mutation, input_of
):
    theirs = await seed(db, other_workspace)
    unknown = await seed(db, await _fresh_workspace(db))
    query = (
        f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) "
        f"{{ {mutation}(input: $input) {{ errors {{ field message code }} }} }}"
    )

    foreign = await gql.data(query, {"input": input_of(theirs)})
    # An id that exists nowhere answers exactly like a foreign one.
    await _delete_workspace(db, unknown)
    missing = await gql.data(query, {"input": input_of(unknown)})

    [error] = foreign[mutation]["errors"]
    assert error["code"] == "NOT_FOUND"
    assert foreign == missing
    async with db() as session:
        from domain.journey import service as journey_service

        journey = await journey_service.get(
            session, workspace_id=other_workspace.id, journey_id=theirs.journey.id
        )
        assert journey.name == "Online shop"


async def _fresh_workspace(db):
    from tests.support import factories

    async with db.begin() as session:
        return await factories.make_workspace(session)


async def _delete_workspace(db, seeded):
    from domain.workspace.models import Workspace

    async with db.begin() as session:
        await session.delete(await session.get(Workspace, seeded.journey.workspace_id))
