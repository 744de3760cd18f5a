from tests.support.graphql_data import gid

OBSERVATION = (
    "observation { id text kind emotion sentiment source authorName authorId "
    "touchpoint { key } stage { name } journey { name } authorTeam { name } }"
)


async def test_log_observation_at_a_touchpoint(gql, seeded):
    payload = await gql.mutate(
        "logObservation",
        {
            "touchpointId": gid("Touchpoint", seeded.touchpoints[1]),
            "text": "customers abandon checkout when shipping costs appear",
            "kind": "PAIN_POINT",
            "emotion": "FRUSTRATION",
            "sentiment": -2,
            "authorTeamId": gid("Team", seeded.team),
            "authorName": "Dana",
        },
        OBSERVATION,
    )
    assert payload["errors"] == []
    observation = payload["observation"]
    assert observation["source"] == "GRAPHQL"
    assert observation["stage"] == {"name": "decision"}
    assert observation["journey"] == {"name": "Online shop"}
    assert observation["authorTeam"] == {"name": "support"}
    assert (observation["authorName"], observation["emotion"]) == ("Dana", "FRUSTRATION")
    assert observation["authorId"].startswith("token:")


async def test_log_observation_at_a_stage_defaults_the_author_to_the_token(gql, seeded):
    payload = await gql.mutate(
        "logObservation",
        {"stageId": gid("Stage", seeded.stages[2]), "text": "loyal fans", "kind": "PRAISE"},
        "observation { touchpoint { key } stage { name } authorName }",
    )
    assert payload["observation"]["stage"] == {"name": "retention"}
    assert payload["observation"]["touchpoint"] is None
    assert payload["observation"]["authorName"].startswith("token")


async def test_log_observation_refuses_bad_input(gql, seeded):
    touchpoint = gid("Touchpoint", seeded.touchpoints[1])
    cases = [
        ({"touchpointId": touchpoint, "text": ""}, "text", "REQUIRED"),
        ({"touchpointId": touchpoint, "text": "x" * 3001}, "text", "TOO_LONG"),
        ({"text": "where?"}, "touchpointId", "REQUIRED"),
        ({"touchpointId": touchpoint, "text": "x", "sentiment": 3}, "sentiment", "OUT_OF_RANGE"),
        (
            {"touchpointId": touchpoint, "stageId": gid("Stage", seeded.stages[0]), "text": "x"},
            "stageId",
            "INVALID",
        ),
        ({"touchpointId": touchpoint, "text": "x", "permalink": "ftp://x"}, "permalink", "INVALID"),
        ({"touchpointId": "garbage", "text": "x"}, "touchpointId", "INVALID"),
    ]
    for input, field, code in cases:
        payload = await gql.mutate(
            "logObservation", {"kind": "INSIGHT", **input}, "observation { id }"
        )
        assert payload["observation"] is None, input
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], input


async def test_create_update_and_delete_an_action(gql, seeded):
    created = await gql.mutate(
        "createAction",
        {
            "journeyId": gid("Journey", seeded.journey),
            "title": "Show shipping costs on the product page",
            "stageId": gid("Stage", seeded.stages[1]),
            "ownerTeamId": gid("Team", seeded.team),
            "observationIds": [gid("Observation", seeded.observation)],
        },
        "action { id title status stage { name } ownerTeam { name } observations { text } }",
    )
    assert created["errors"] == []
    action = created["action"]
    assert action["status"] == "OPEN"
    assert action["observations"] == [{"text": seeded.observation.text}]

    moved = await gql.mutate(
        "updateAction",
        {"id": action["id"], "status": "IN_PROGRESS", "observationIds": []},
        "action { status observations { id } }",
    )
    assert moved["action"] == {"status": "IN_PROGRESS", "observations": []}

    listed = await gql.data(
        "query($id: ID!) { journey(id: $id) { actions { title status } } }",
        {"id": gid("Journey", seeded.journey)},
    )
    assert listed["journey"]["actions"] == [
        {"title": "Show shipping costs on the product page", "status": "IN_PROGRESS"}
    ]
    deleted = await gql.mutate("deleteAction", {"id": action["id"]}, "deletedId")
    assert deleted == {"deletedId": action["id"], "errors": []}


async def test_create_action_refuses_bad_input(gql, seeded, db, other_workspace):
    from tests.support.graphql_data import seed

    theirs = await seed(db, other_workspace)
    journey = gid("Journey", seeded.journey)
    cases = [
        ({"title": ""}, "title", "REQUIRED"),
        ({"title": "t" * 201}, "title", "TOO_LONG"),
        ({"title": "x", "ownerTeamId": gid("Team", theirs.team)}, "ownerTeamId", "NOT_FOUND"),
        (
            {"title": "x", "observationIds": [gid("Observation", theirs.observation)]},
            "observationIds",
            "NOT_FOUND",
        ),
        ({"title": "x", "stageId": gid("Stage", theirs.stages[0])}, "stageId", "NOT_FOUND"),
    ]
    for extra, field, code in cases:
        payload = await gql.mutate("createAction", {"journeyId": journey, **extra}, "action { id }")
        assert payload["action"] is None, extra
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], extra


async def test_update_action_refuses_a_bad_status_value(gql, seeded):
    body = await gql.run(
        'mutation { updateAction(input: {id: "x", status: FINISHED}) { errors { code } } }'
    )
    assert "FINISHED" in body["errors"][0]["message"]
