import pytest

from tests.support.graphql_data import gid


async def test_create_update_and_delete_a_team(gql):
    created = await gql.mutate(
        "createTeam",
        {"name": " Support ", "slackChannelId": "c0123abcd"},
        "team { id name slackChannelId }",
    )
    assert created["errors"] == []
    team = created["team"]
    assert (team["name"], team["slackChannelId"]) == ("Support", "C0123ABCD")

    updated = await gql.mutate(
        "updateTeam", {"id": team["id"], "slackChannelId": None}, "team { name slackChannelId }"
    )
    assert updated == {"team": {"name": "Support", "slackChannelId": None}, "errors": []}

    deleted = await gql.mutate("deleteTeam", {"id": team["id"]}, "deletedId")
    assert deleted == {"deletedId": team["id"], "errors": []}
    assert (await gql.data("{ teams { id } }"))["teams"] == []


@pytest.mark.parametrize(
    ("name", "code"), [("", "REQUIRED"), ("   ", "REQUIRED"), ("x" * 81, "TOO_LONG")]
)
async def test_create_team_refuses_empty_or_too_long_names(gql, name, code):
    payload = await gql.mutate("createTeam", {"name": name}, "team { id }")
    assert payload["team"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("name", code)
    assert error["message"]
    assert (await gql.data("{ teams { id } }"))["teams"] == []


async def test_create_team_refuses_a_duplicate_name_and_a_bad_channel(gql):
    await gql.mutate("createTeam", {"name": "sales"})
    duplicate = await gql.mutate("createTeam", {"name": "SALES"})
    assert duplicate["errors"][0]["code"] == "DUPLICATE"
    channel = await gql.mutate("createTeam", {"name": "support", "slackChannelId": "#support"})
    assert channel["errors"][0]["field"] == "slackChannelId"


async def test_update_and_delete_refuse_unknown_and_malformed_team_ids(gql, seeded, db):
    from graphql_api.ids import encode

    unknown = encode("Team", seeded.journey.id)
    for mutation in ("updateTeam", "deleteTeam"):
        payload = await gql.mutate(mutation, {"id": unknown})
        assert payload["errors"][0]["code"] == "NOT_FOUND"
        malformed = await gql.mutate(mutation, {"id": gid("Journey", seeded.journey)})
        assert malformed["errors"][0] == {
            "field": "id",
            "code": "INVALID",
            "message": malformed["errors"][0]["message"],
        }
        assert "is not a Team id" in malformed["errors"][0]["message"]


async def test_create_update_and_delete_a_persona(gql):
    created = await gql.mutate(
        "createPersona",
        {
            "name": "busy professional",
            "goals": ["save time"],
            "needs": ["fast checkout"],
            "attributes": {"age": "30-45"},
        },
        "persona { id name goals needs attributes }",
    )
    assert created["errors"] == []
    persona = created["persona"]
    assert persona["attributes"] == {"age": "30-45"}

    updated = await gql.mutate(
        "updatePersona", {"id": persona["id"], "goals": []}, "persona { name goals needs }"
    )
    assert updated["persona"] == {
        "name": "busy professional",
        "goals": [],
        "needs": ["fast checkout"],
    }

    journey = await gql.mutate(
        "createJourney",
        {"name": "Shop", "personaId": persona["id"]},
        "journey { id persona { name } }",
    )
    assert journey["journey"]["persona"] == {"name": "busy professional"}

    assert (await gql.mutate("deletePersona", {"id": persona["id"]}, "deletedId"))["errors"] == []
    again = await gql.data(
        "query($id: ID!) { journey(id: $id) { persona { name } } }",
        {"id": journey["journey"]["id"]},
    )
    assert again["journey"]["persona"] is None


async def test_create_persona_refuses_a_duplicate_and_an_empty_name(gql):
    await gql.mutate("createPersona", {"name": "budget-conscious shopper"})
    duplicate = await gql.mutate("createPersona", {"name": "Budget-conscious shopper"})
    assert duplicate["errors"][0]["code"] == "DUPLICATE"
    empty = await gql.mutate("createPersona", {"name": ""})
    assert empty["errors"][0]["code"] == "REQUIRED"


async def test_create_persona_refuses_attributes_that_are_not_an_object(gql):
    payload = await gql.mutate("createPersona", {"name": "p", "attributes": ["a", "b"]})
    assert payload["errors"][0]["field"] == "attributes"
    assert payload["errors"][0]["code"] == "INVALID"


async def test_simultaneous_creates_of_one_name_make_one_team_and_clear_errors(gql):
    import asyncio

    payloads = await asyncio.gather(
        *(gql.mutate("createTeam", {"name": "growth"}, "team { id }") for _ in range(6))
    )
    assert sum(payload["errors"] == [] for payload in payloads) == 1
    losers = [payload["errors"][0]["code"] for payload in payloads if payload["errors"]]
    assert set(losers) <= {"DUPLICATE", "CONFLICT"}
    assert len((await gql.data("{ teams { id } }"))["teams"]) == 1
