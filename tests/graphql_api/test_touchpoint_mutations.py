from tests.support.graphql_data import gid

TOUCHPOINT = "touchpoint { id key name channel eventNames ownerTeam { name } stage { name } }"


async def test_add_touchpoint_with_a_derived_key(gql, seeded):
    payload = await gql.mutate(
        "addTouchpoint",
        {
            "stageId": gid("Stage", seeded.stages[1]),
            "name": "Product page",
            "channel": "WEB",
            "ownerTeamId": gid("Team", seeded.team),
            "eventNames": ["Product Viewed", " Product Viewed "],
        },
        TOUCHPOINT,
    )
    assert payload["errors"] == []
    touchpoint = payload["touchpoint"]
    assert touchpoint["key"] == "product-page"
    assert touchpoint["eventNames"] == ["Product Viewed"]
    assert touchpoint["ownerTeam"] == {"name": "support"}
    assert touchpoint["stage"] == {"name": "decision"}


async def test_add_touchpoint_refuses_bad_input(gql, seeded):
    stage = gid("Stage", seeded.stages[0])
    cases = [
        ({"name": ""}, "name", "REQUIRED"),
        ({"name": "t" * 121}, "name", "TOO_LONG"),
        ({"name": "Cart", "key": "checkout"}, "key", "DUPLICATE"),
        ({"name": "Cart", "key": "Not A Key!"}, "key", "INVALID"),
        ({"name": "Cart", "eventNames": ["Order Completed"]}, "eventNames", "DUPLICATE"),
        ({"name": "Cart", "eventNames": ["e" * 201]}, "eventNames", "TOO_LONG"),
        ({"name": "Cart", "ownerTeamId": gid("Stage", seeded.stages[0])}, "ownerTeamId", "INVALID"),
    ]
    for extra, field, code in cases:
        payload = await gql.mutate(
            "addTouchpoint", {"stageId": stage, "channel": "WEB", **extra}, "touchpoint { id }"
        )
        assert payload["touchpoint"] is None, extra
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], extra


async def test_duplicate_event_name_error_names_the_touchpoint_that_has_it(gql, seeded):
    payload = await gql.mutate(
        "addTouchpoint",
        {
            "stageId": gid("Stage", seeded.stages[2]),
            "name": "Thank-you page",
            "channel": "WEB",
            "eventNames": ["Order Completed"],
        },
    )
    assert "“Checkout”" in payload["errors"][0]["message"]


async def test_add_touchpoint_refuses_a_bad_channel_before_running(gql, seeded):
    body = await gql.run(
        "mutation($input: AddTouchpointInput!) "
        "{ addTouchpoint(input: $input) { errors { code } } }",
        {"input": {"stageId": gid("Stage", seeded.stages[0]), "name": "x", "channel": "FAX"}},
    )
    assert body.get("data") is None
    assert "FAX" in body["errors"][0]["message"]


async def test_update_touchpoint_edits_and_moves_it_with_its_observations(gql, seeded):
    checkout = gid("Touchpoint", seeded.touchpoints[1])
    payload = await gql.mutate(
        "updateTouchpoint",
        {
            "id": checkout,
            "name": "One-page checkout",
            "channel": "APP",
            "ownerTeamId": None,
            "eventNames": ["Checkout Completed"],
            "stageId": gid("Stage", seeded.stages[2]),
        },
        TOUCHPOINT,
    )
    assert payload["errors"] == []
    assert payload["touchpoint"] == {
        "id": checkout,
        "key": "checkout",
        "name": "One-page checkout",
        "channel": "APP",
        "eventNames": ["Checkout Completed"],
        "ownerTeam": None,
        "stage": {"name": "retention"},
    }
    observation = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Observation { stage { name } } } }",
        {"id": gid("Observation", seeded.observation)},
    )
    assert observation["node"]["stage"] == {"name": "retention"}


async def test_update_touchpoint_refuses_a_taken_key_or_event_name(gql, seeded):
    ad = gid("Touchpoint", seeded.touchpoints[0])
    key = await gql.mutate("updateTouchpoint", {"id": ad, "key": "checkout"})
    assert (key["errors"][0]["field"], key["errors"][0]["code"]) == ("key", "DUPLICATE")
    events = await gql.mutate("updateTouchpoint", {"id": ad, "eventNames": ["Order Completed"]})
    assert events["errors"][0]["code"] == "DUPLICATE"
    # Keeping its own key and events is no clash.
    same = await gql.mutate(
        "updateTouchpoint", {"id": ad, "key": "social-ad", "eventNames": ["Ad Clicked"]}
    )
    assert same["errors"] == []


async def test_delete_touchpoint_keeps_its_observations_on_the_stage(gql, seeded):
    checkout = gid("Touchpoint", seeded.touchpoints[1])
    payload = await gql.mutate("deleteTouchpoint", {"id": checkout}, "deletedId")
    assert payload == {"deletedId": checkout, "errors": []}
    observation = await gql.data(
        "query($id: ID!) { node(id: $id) "
        "{ ... on Observation { touchpoint { id } stage { name } } } }",
        {"id": gid("Observation", seeded.observation)},
    )
    assert observation["node"] == {"touchpoint": None, "stage": {"name": "decision"}}
