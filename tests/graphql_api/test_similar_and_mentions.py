from tests.support import factories
from tests.support.graphql_data import gid, seed

SIMILAR = """
query($stage: ID!, $text: String!) {
  similarObservations(stageId: $stage, text: $text) { id text }
}
"""

MENTIONS = (
    "observation { id mentions { count raisedTimes raisedByTeams "
    "people { authorName authorTeam { name } } } }"
)


async def test_similar_observations_offer_near_duplicates_only(gql, seeded):
    stage = gid("Stage", seeded.stages[1])
    found = await gql.data(
        SIMILAR, {"stage": stage, "text": "shipping costs shown too late at checkout"}
    )
    assert [o["text"] for o in found["similarObservations"]] == [seeded.observation.text]

    unrelated = await gql.data(SIMILAR, {"stage": stage, "text": "the search bar returns nothing"})
    assert unrelated["similarObservations"] == []

    elsewhere = await gql.data(
        SIMILAR, {"stage": gid("Stage", seeded.stages[0]), "text": seeded.observation.text}
    )
    assert elsewhere["similarObservations"] == []


async def test_similar_observations_at_someone_elses_stage_are_not_found(gql, db, other_workspace):
    theirs = await seed(db, other_workspace)
    body = await gql.run(
        SIMILAR, {"stage": gid("Stage", theirs.stages[1]), "text": theirs.observation.text}
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_plus_one_counts_as_a_mention_once(gql, seeded, db, workspace):
    async with db.begin() as session:
        sales = await factories.make_team(session, workspace, name="sales")
    input = {
        "observationId": gid("Observation", seeded.observation),
        "authorTeamId": gid("Team", sales),
        "authorName": "Fox",
    }
    await gql.mutate("mentionObservation", input, MENTIONS)
    payload = await gql.mutate("mentionObservation", input, MENTIONS)

    assert payload["errors"] == []
    assert payload["observation"]["mentions"] == {
        "count": 1,
        "raisedTimes": 2,
        "raisedByTeams": 2,
        "people": [{"authorName": "Fox", "authorTeam": {"name": "sales"}}],
    }


async def test_a_plus_one_on_someone_elses_observation_is_refused(gql, db, other_workspace):
    theirs = await seed(db, other_workspace)
    payload = await gql.mutate(
        "mentionObservation",
        {"observationId": gid("Observation", theirs.observation)},
        "observation { id }",
    )
    assert payload["observation"] is None
    assert payload["errors"][0]["field"] == "observationId"
    assert payload["errors"][0]["code"] == "NOT_FOUND"
