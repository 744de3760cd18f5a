"""ingestEvents, Journey.stageMetrics and unmappedEvents over GraphQL."""

from tests.support.factories import track
from tests.support.graphql_data import gid

INGEST = "accepted duplicates rejected problems { index status reason message }"

METRICS = """
query($id: ID!, $from: Date!, $to: Date!, $asOf: DateTime, $channel: Channel) {
  journey(id: $id) {
    stageMetrics(from: $from, to: $to, asOf: $asOf, granularity: WEEK, channel: $channel) {
      from to timezone
      stages { stage entered converted dropped pending conversionRate medianTimeToConvert }
      series { start stages { entered } }
      reach { touchpointId customers }
    }
  }
}
"""


async def test_events_sent_through_graphql_show_in_the_stage_metrics(gql, seeded):
    payload = await gql.mutate(
        "ingestEvents",
        {
            "events": [
                track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
                track("ann", "Order Completed", "2026-11-02T10:30:00Z"),
                track("bob", "Ad Clicked", "not a time"),
                track("bob", "Newsletter Opened", "2026-11-02T10:00:00Z"),
            ]
        },
        INGEST,
    )
    assert (payload["accepted"], payload["rejected"], payload["errors"]) == (3, 1, [])
    assert payload["problems"] == [
        {
            "index": 2,
            "status": "rejected",
            "reason": "invalid_timestamp",
            "message": payload["problems"][0]["message"],
        }
    ]

    data = await gql.data(
        METRICS,
        {
            "id": gid("Journey", seeded.journey),
            "from": "2026-11-01",
            "to": "2026-12-01",
            "asOf": "2026-11-20T00:00:00Z",
        },
    )
    metrics = data["journey"]["stageMetrics"]
    awareness, decision, _ = metrics["stages"]
    assert (awareness["stage"], awareness["entered"], awareness["converted"]) == ("awareness", 1, 1)
    assert awareness["medianTimeToConvert"] == 1800
    assert decision["entered"] == 1
    assert sum(b["stages"][0]["entered"] for b in metrics["series"]) == 1
    reached = {r["touchpointId"]: r["customers"] for r in metrics["reach"]}
    assert reached[gid("Touchpoint", seeded.touchpoints[0])] == 1

    unmapped = await gql.data("{ unmappedEvents { name events } }")
    assert unmapped["unmappedEvents"] == [{"name": "Newsletter Opened", "events": 1}]


async def test_more_than_500_events_at_once_are_refused(gql):
    events = [track("ann", "Ad Clicked", "2026-11-02T10:00:00Z") for _ in range(501)]
    payload = await gql.mutate("ingestEvents", {"events": events}, INGEST)
    assert payload["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert payload["accepted"] == 0


async def test_a_period_that_ends_before_it_starts_is_a_query_error(gql, seeded):
    body = await gql.run(
        METRICS, {"id": gid("Journey", seeded.journey), "from": "2026-11-02", "to": "2026-11-01"}
    )
    assert body["errors"][0]["extensions"]["field"] == "to"


async def test_a_read_token_cannot_ingest(gql, workspace, make_token):
    response = await gql.post(
        "mutation($input: IngestEventsInput!) { ingestEvents(input: $input) { accepted } }",
        {"input": {"events": []}},
        token=await make_token(workspace, "read"),
    )
    assert "errors" in response.json()
