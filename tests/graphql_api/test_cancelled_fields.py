"""A field that fails takes its parent with it, and graphql-core cancels the parent's other
fields still running (found by the GraphQL fuzz test). What they were waiting for must come
out clean: a load other fields share still answers them, a metrics reading halfway through
its snapshot gives its connection back, and the answer is the one failure, in words."""

import logging

from graphql_api import ids
from tests.support import factories
from tests.support.logs import errors_logged

STAGES = "stages { entered }"
REFUSED = 'stageMetrics(from: "2026-03-08", to: "2026-03-01") { stages { entered } }'


async def answer(gql, caplog, query: str, journey) -> dict:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        body = await gql.run(query, {"id": ids.encode("Journey", journey.id)})
    assert [r.getMessage() for r in errors_logged(caplog.records)] == []
    return body


async def test_a_load_shared_with_a_cancelled_field_still_answers_the_others(
    gql, db, workspace, caplog
):
    async with db.begin() as session:
        journey = await factories.make_journey(session, workspace)
    body = await answer(
        gql,
        caplog,
        f"""query($id: ID!) {{
          kept: journey(id: $id) {{ openAlerts {{ id }} }}
          lost: journey(id: $id) {{ openAlerts {{ id }} {REFUSED} }}
        }}""",
        journey,
    )
    assert body["data"] == {"kept": {"openAlerts": []}, "lost": None}
    assert [e["message"] for e in body["errors"]] == ["The period must end after it starts."]


async def test_a_metrics_reading_cancelled_midway_gives_its_connection_back(
    app, gql, db, workspace, caplog
):
    async with db.begin() as session:
        journey = await factories.make_journey(session, workspace)
    period = 'from: "2026-03-01", to: "2026-03-08"'
    body = await answer(
        gql,
        caplog,
        f"""query($id: ID!) {{
          journey(id: $id) {{ read: stageMetrics({period}) {{ stages {{ entered }} }} {REFUSED} }}
        }}""",
        journey,
    )
    assert body["data"] == {"journey": None}
    assert [e["message"] for e in body["errors"]] == ["The period must end after it starts."]
    assert app.state.runtime.engine.pool.checkedout() == 0
    again = await answer(
        gql,
        caplog,
        f"query($id: ID!) {{ journey(id: $id) {{ stageMetrics({period}) {{ {STAGES} }} }} }}",
        journey,
    )
    assert [s["entered"] for s in again["data"]["journey"]["stageMetrics"]["stages"]] == [0] * 5
