"""Ten identical alert mutations at once (a frontend retrying, several tabs) record one change:
the doors share the alert use cases, which take turns per alert."""

import asyncio

import pytest

from tests.support import factories
from tests.support.graphql_data import gid

MUTATIONS = {
    "acknowledgeAlert": ({}, "ACKNOWLEDGED"),
    "assignAlert": ({"assigneeSlackUserId": "U0DANA", "assigneeName": "Dana"}, "ASSIGNED"),
    "muteAlert": ({"hours": 24}, "MUTED"),
    "resolveAlert": ({}, "RESOLVED"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
async def test_ten_identical_alert_mutations_at_once_record_one_change(gql, db, seeded, mutation):
    async with db.begin() as session:
        rule = await factories.make_alert_rule(session, seeded.journey)
        alert = await factories.make_alert(session, rule, seeded.stages[0])
    arguments, action = MUTATIONS[mutation]
    payloads = await asyncio.gather(
        *(
            gql.mutate(mutation, {"id": gid("Alert", alert), **arguments}, "alert { id }")
            for _ in range(10)
        )
    )
    assert all(payload["errors"] == [] for payload in payloads)
    data = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Alert { activity { action } } } }",
        {"id": gid("Alert", alert)},
    )
    actions = [entry["action"] for entry in data["node"]["activity"]]
    assert actions.count(action) == 1, actions
