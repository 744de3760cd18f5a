"""ingestEvents, Journey.stageMetrics, Journey.stageBreakdown and unmappedEvents over GraphQL."""

from tests.support.factories import identify, make_persona, track
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


BY_PERSONA = """
query($id: ID!, $persona: ID!, $asOf: DateTime) {
  journey(id: $id) {
    stageMetrics(from: "2026-11-01", to: "2026-12-01", asOf: $asOf, personaId: $persona) {
      stages { entered converted medianTimeToConvert }
      reach { touchpointId customers }
    }
    stageBreakdown(from: "2026-11-01", to: "2026-12-01", asOf: $asOf, by: PERSONA) {
      persona { name }
      channel
      stages { entered converted }
    }
  }
}
"""


async def test_the_persona_filter_and_breakdown_count_the_persona_as_of_the_evaluation_time(
    gql, seeded, db, workspace
):
    async with db.begin() as session:
        for name in ("Budget", "Busy"):
            await make_persona(session, workspace, name)
    await gql.mutate(
        "ingestEvents",
        {
            "events": [
                identify("ann", "2026-11-01T00:00:00Z", persona="Budget"),
                identify("ann", "2026-11-25T00:00:00Z", persona="Busy"),  # after the first T
                identify("bob", "2026-11-01T00:00:00Z", persona="Busy"),
                track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
                track("ann", "Order Completed", "2026-11-02T10:30:00Z"),
                track("bob", "Ad Clicked", "2026-11-03T10:00:00Z"),
                track("cid", "Ad Clicked", "2026-11-03T11:00:00Z"),
            ]
        },
        INGEST,
    )
    personas = {
        p["name"]: p["id"] for p in (await gql.data("{ personas { id name } }"))["personas"]
    }

    async def read(persona: str, as_of: str):
        variables = {"id": gid("Journey", seeded.journey), "persona": personas[persona]}
        return (await gql.data(BY_PERSONA, {**variables, "asOf": as_of}))["journey"]

    earlier = await read("Budget", "2026-11-20T00:00:00Z")
    assert [(s["entered"], s["converted"]) for s in earlier["stageMetrics"]["stages"][:1]] == [
        (1, 1)
    ]
    assert earlier["stageMetrics"]["stages"][0]["medianTimeToConvert"] == 1800
    assert [r["customers"] for r in earlier["stageMetrics"]["reach"]] == [1, 1]  # ann's two
    segments = {
        (s["persona"] or {}).get("name"): s["stages"][0]["entered"]
        for s in earlier["stageBreakdown"]
    }
    assert segments == {"Budget": 1, "Busy": 1, None: 1}
    assert {s["channel"] for s in earlier["stageBreakdown"]} == {None}

    later = await read("Budget", "2026-11-30T00:00:00Z")
    assert later["stageMetrics"]["stages"][0]["entered"] == 0
    assert [r["customers"] for r in later["stageMetrics"]["reach"]] == [0, 0]
    segments = {
        (s["persona"] or {}).get("name"): s["stages"][0]["entered"] for s in later["stageBreakdown"]
    }
    assert segments == {"Busy": 2, None: 1}


async def test_a_query_for_counts_alone_looks_up_no_times_to_convert_and_no_reach(
    gql, seeded, monkeypatch
):
    from domain.metrics import daily_rollups

    async def no_reach(self):
        raise AssertionError("reach read though not selected")

    original = daily_rollups.percentiles

    async def no_percentiles(*args, wanted, **kwargs):
        assert wanted == [], "percentiles looked up though not selected"
        return await original(*args, wanted=wanted, **kwargs)

    monkeypatch.setattr(daily_rollups.Reading, "reach", no_reach)
    monkeypatch.setattr(daily_rollups, "percentiles", no_percentiles)
    await gql.mutate(
        "ingestEvents",
        {
            "events": [
                track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
                track("ann", "Order Completed", "2026-11-02T10:30:00Z"),
            ]
        },
        INGEST,
    )
    data = await gql.data(
        """query($id: ID!) { journey(id: $id) {
             stageMetrics(from: "2026-11-01", to: "2026-12-01") {
               stages { entered converted } series { stages { dropped } } }
             stageBreakdown(from: "2026-11-01", to: "2026-12-01", by: CHANNEL) {
               channel stages { entered } } } }""",
        {"id": gid("Journey", seeded.journey)},
    )
    assert data["journey"]["stageMetrics"]["stages"][0] == {"entered": 1, "converted": 1}
    assert data["journey"]["stageBreakdown"][0]["channel"] == "SOCIAL"  # the seeded ad's
