from tests.support.graphql_data import gid

STAGES = "journey { id name stages { id name position customerGoal expectedEmotion } }"


async def _journey(gql, **extra) -> dict:
    payload = await gql.mutate(
        "createJourney",
        {
            "name": "Web shop",
            "stages": [
                {"name": "awareness", "expectedEmotion": "CURIOSITY"},
                {"name": "decision", "customerGoal": "buy without surprises"},
                {"name": "retention"},
            ],
            **extra,
        },
        STAGES,
    )
    assert payload["errors"] == []
    return payload["journey"]


async def test_create_journey_with_inline_stages(gql):
    journey = await _journey(gql, conversionWindowDays=14, timezone="Europe/Paris")
    assert [(s["name"], s["position"]) for s in journey["stages"]] == [
        ("awareness", 0),
        ("decision", 1),
        ("retention", 2),
    ]
    assert journey["stages"][0]["expectedEmotion"] == "CURIOSITY"
    assert journey["stages"][1]["customerGoal"] == "buy without surprises"


async def test_create_journey_refuses_bad_input_and_writes_nothing(gql):
    cases = [
        ({"name": ""}, "name", "REQUIRED"),
        ({"name": "j" * 81}, "name", "TOO_LONG"),
        ({"name": "ok", "conversionWindowDays": 0}, "conversionWindowDays", "OUT_OF_RANGE"),
        ({"name": "ok", "timezone": "Mars/Olympus"}, "timezone", "INVALID"),
        ({"name": "ok", "stages": [{"name": "a"}, {"name": ""}]}, "stages.1.name", "REQUIRED"),
        ({"name": "ok", "stages": [{"name": "a"}, {"name": "A"}]}, "stages.1.name", "DUPLICATE"),
        ({"name": "ok", "personaId": "bogus"}, "personaId", "INVALID"),
    ]
    for input, field, code in cases:
        payload = await gql.mutate("createJourney", input, "journey { id }")
        assert payload["journey"] is None, input
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], input
    assert (await gql.data("{ journeys { id } }"))["journeys"] == []


async def test_create_journey_refuses_a_duplicate_name(gql):
    await _journey(gql)
    payload = await gql.mutate("createJourney", {"name": "web SHOP"})
    assert payload["errors"][0]["code"] == "DUPLICATE"


async def test_bad_enum_values_are_refused_clearly(gql):
    body = await gql.run(
        'mutation { createJourney(input: {name: "x", stages: [{name: "a", '
        "expectedEmotion: GLEE}]}) { errors { message } } }"
    )
    assert "GLEE" in body["errors"][0]["message"]
    assert "Emotion" in body["errors"][0]["message"]
    assert (await gql.data("{ journeys { id } }"))["journeys"] == []


async def test_update_and_delete_a_journey(gql):
    journey = await _journey(gql)
    updated = await gql.mutate(
        "updateJourney",
        {"id": journey["id"], "name": "Store", "conversionWindowDays": 7},
        "journey { name conversionWindowDays timezone }",
    )
    assert updated["journey"] == {"name": "Store", "conversionWindowDays": 7, "timezone": "UTC"}
    bad = await gql.mutate("updateJourney", {"id": journey["id"], "name": " "})
    assert bad["errors"][0]["code"] == "REQUIRED"

    deleted = await gql.mutate("deleteJourney", {"id": journey["id"]}, "deletedId")
    assert deleted == {"deletedId": journey["id"], "errors": []}
    again = await gql.mutate("deleteJourney", {"id": journey["id"]}, "deletedId")
    assert again["deletedId"] is None
    assert again["errors"][0]["code"] == "NOT_FOUND"


async def test_a_null_conversion_window_is_refused_and_changes_nothing(gql):
    # Found by the GraphQL fuzz test: `conversionWindowDays: null` answered "Unexpected error."
    journey = await _journey(gql, conversionWindowDays=14)
    refused = await gql.mutate(
        "updateJourney",
        {"id": journey["id"], "conversionWindowDays": None},
        "journey { conversionWindowDays }",
    )
    assert refused["journey"] is None
    [error] = refused["errors"]
    assert (error["field"], error["code"]) == ("conversionWindowDays", "REQUIRED")
    kept = await gql.data(
        "query($id: ID!) { journey(id: $id) { conversionWindowDays } }", {"id": journey["id"]}
    )
    assert kept == {"journey": {"conversionWindowDays": 14}}


async def test_add_stage_at_a_position_and_update_it(gql):
    journey = await _journey(gql)
    added = await gql.mutate(
        "addStage",
        {"journeyId": journey["id"], "name": "consideration", "position": 1},
        "stage { id name position journey { stages { name } } }",
    )
    assert added["errors"] == []
    assert [s["name"] for s in added["stage"]["journey"]["stages"]] == [
        "awareness",
        "consideration",
        "decision",
        "retention",
    ]
    updated = await gql.mutate(
        "updateStage",
        {"id": added["stage"]["id"], "expectedEmotion": "HOPE", "customerGoal": "compare"},
        "stage { expectedEmotion customerGoal }",
    )
    assert updated["stage"] == {"expectedEmotion": "HOPE", "customerGoal": "compare"}


async def test_add_stage_refuses_bad_input(gql):
    journey = await _journey(gql)
    cases = [
        ({"journeyId": journey["id"], "name": ""}, "name", "REQUIRED"),
        ({"journeyId": journey["id"], "name": "Decision"}, "name", "DUPLICATE"),
        ({"journeyId": journey["id"], "name": "x", "position": 9}, "position", "OUT_OF_RANGE"),
        ({"journeyId": journey["stages"][0]["id"], "name": "x"}, "journeyId", "INVALID"),
    ]
    for input, field, code in cases:
        payload = await gql.mutate("addStage", input)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], input


async def test_reorder_stages(gql):
    journey = await _journey(gql)
    ids = [s["id"] for s in journey["stages"]]
    payload = await gql.mutate(
        "reorderStages",
        {"journeyId": journey["id"], "stageIds": [ids[2], ids[0], ids[1]]},
        "journey { stages { name position } }",
    )
    assert payload["errors"] == []
    assert payload["journey"]["stages"] == [
        {"name": "retention", "position": 0},
        {"name": "awareness", "position": 1},
        {"name": "decision", "position": 2},
    ]


async def test_reorder_stages_refuses_a_missing_a_repeated_or_a_foreign_stage(gql, seeded):
    journey = await _journey(gql)
    ids = [s["id"] for s in journey["stages"]]
    other = gid("Stage", seeded.stages[0])  # same workspace, other journey
    cases = [
        ([ids[0], ids[1]], "REQUIRED", "missing: retention"),
        ([ids[0], ids[0], ids[1], ids[2]], "INVALID", "listed twice"),
        ([*ids, other], "NOT_FOUND", "not stages of this journey"),
    ]
    for stage_ids, code, words in cases:
        payload = await gql.mutate(
            "reorderStages", {"journeyId": journey["id"], "stageIds": stage_ids}, "journey { id }"
        )
        assert payload["journey"] is None
        [error] = payload["errors"]
        assert (error["field"], error["code"]) == ("stageIds", code)
        assert words in error["message"]
    unchanged = await gql.data(
        "query($id: ID!) { journey(id: $id) { stages { id } } }", {"id": journey["id"]}
    )
    assert [s["id"] for s in unchanged["journey"]["stages"]] == ids


async def test_remove_stage_moves_its_touchpoints_and_observations(gql, seeded):
    decision, retention = (gid("Stage", s) for s in seeded.stages[1:])
    refused = await gql.mutate("removeStage", {"id": decision}, "deletedId")
    assert refused["errors"][0]["field"] == "moveToStageId"
    assert refused["errors"][0]["code"] == "CONFLICT"

    removed = await gql.mutate(
        "removeStage", {"id": decision, "moveToStageId": retention}, "deletedId"
    )
    assert removed == {"deletedId": decision, "errors": []}
    data = await gql.data(
        "query($id: ID!) { journey(id: $id) { stages { name position touchpoints { key } "
        "observations { edges { node { id } } } } } }",
        {"id": gid("Journey", seeded.journey)},
    )
    stages = data["journey"]["stages"]
    assert [(s["name"], s["position"]) for s in stages] == [("awareness", 0), ("retention", 1)]
    assert stages[1]["touchpoints"] == [{"key": "checkout"}]
    assert len(stages[1]["observations"]["edges"]) == 1


async def test_remove_stage_refuses_to_move_into_itself(gql, seeded):
    decision = gid("Stage", seeded.stages[1])
    payload = await gql.mutate("removeStage", {"id": decision, "moveToStageId": decision})
    assert payload["errors"][0]["field"] == "moveToStageId"
