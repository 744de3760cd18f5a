"""Every mutation that takes an id answers an unknown id with NOT_FOUND and a malformed one
(or an id of another type) with INVALID, in its payload, naming the field."""

import uuid

import pytest

from graphql_api.ids import encode

# mutation → (the id field, the type its id must be, the rest of a valid input)
MUTATIONS = {
    "updateTeam": ("id", "Team", {"name": "x"}),
    "deleteTeam": ("id", "Team", {}),
    "updatePersona": ("id", "Persona", {"name": "x"}),
    "deletePersona": ("id", "Persona", {}),
    "updateJourney": ("id", "Journey", {"name": "x"}),
    "deleteJourney": ("id", "Journey", {}),
    "addStage": ("journeyId", "Journey", {"name": "x"}),
    "updateStage": ("id", "Stage", {"name": "x"}),
    "reorderStages": ("journeyId", "Journey", {"stageIds": []}),
    "removeStage": ("id", "Stage", {}),
    "addTouchpoint": ("stageId", "Stage", {"name": "x", "channel": "WEB"}),
    "updateTouchpoint": ("id", "Touchpoint", {"name": "x"}),
    "deleteTouchpoint": ("id", "Touchpoint", {}),
    "logObservation": ("touchpointId", "Touchpoint", {"text": "x", "kind": "INSIGHT"}),
    "createAction": ("journeyId", "Journey", {"title": "x"}),
    "updateAction": ("id", "Action", {"title": "x"}),
    "deleteAction": ("id", "Action", {}),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_unknown_and_malformed_ids_are_payload_errors(gql, mutation):
    field, type_name, rest = MUTATIONS[mutation]

    unknown = await gql.mutate(mutation, {**rest, field: encode(type_name, uuid.uuid4())})
    malformed = await gql.mutate(mutation, {**rest, field: "12345"})
    wrong_type = await gql.mutate(
        mutation, {**rest, field: encode("Team" if type_name != "Team" else "Stage", uuid.uuid4())}
    )

    [not_found] = unknown["errors"]
    assert (not_found["field"], not_found["code"]) == (field, "NOT_FOUND")
    assert f"No {type_name.lower()} with that id" in not_found["message"]
    for payload in (malformed, wrong_type):
        [invalid] = payload["errors"]
        assert (invalid["field"], invalid["code"]) == (field, "INVALID")
        assert f"is not a {type_name} id" in invalid["message"]


async def test_remove_stage_names_an_unknown_target_stage(gql, seeded):
    from tests.support.graphql_data import gid

    payload = await gql.mutate(
        "removeStage",
        {"id": gid("Stage", seeded.stages[1]), "moveToStageId": encode("Stage", uuid.uuid4())},
    )
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("moveToStageId", "NOT_FOUND")
