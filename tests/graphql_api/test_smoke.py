async def test_create_and_read_a_team(gql):
    data = await gql.data(
        'mutation { createTeam(input: {name: "support", slackChannelId: "C0123ABCD"}) '
        "{ team { id name slackChannelId } errors { field message code } } }"
    )
    assert data["createTeam"]["errors"] == []
    data = await gql.data("{ teams { id name } }")
    assert [t["name"] for t in data["teams"]] == ["support"]
