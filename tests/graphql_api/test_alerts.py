"""Alerts over GraphQL: the figures and the why, acting on them as the token, one workspace."""

from datetime import UTC, datetime, timedelta

from domain.alert import service as alert_service
from domain.alert.evaluation import evaluate_rule
from domain.alert.models import AlertStatus
from tests.support import factories
from tests.support.cohorts import at, cohort_source
from tests.support.graphql_data import gid, seed

ALERT = """alert {
  id status acknowledgedBy resolvedBy resolution assigneeId assigneeName mutedUntil
  activity { action actorId actorName detail }
}"""
ME = {"actor_id": "U0DANA", "actor_name": "Dana"}


async def _alerts(db, seeded, count: int, *, hours_apart: int = 1) -> list:
    """`count` alerts of one all-stages rule, fired an hour apart; all but the last resolved."""
    fired = []
    async with db.begin() as session:
        rule = await factories.make_alert_rule(session, seeded.journey)
        start = datetime(2026, 3, 1, tzinfo=UTC)
        for n in range(count):
            alert = await factories.make_alert(
                session, rule, seeded.stages[0], at=start + timedelta(hours=n * hours_apart)
            )
            if n < count - 1:
                await alert_service.resolve(
                    session, workspace_id=rule.workspace_id, alert_id=alert.id, **ME
                )
            fired.append(alert)
    return fired


async def test_an_alert_shows_its_figures_driver_and_what_staff_logged(gql, db, seeded):
    async with db.begin() as session:
        observation = await factories.make_observation(
            session, stage=seeded.stages[1], text="shipping costs shock people", author_name="Al"
        )
        observation.created_at = datetime(2026, 3, 4, tzinfo=UTC)  # logged before it fired
        rule = await factories.make_alert_rule(session, seeded.journey, seeded.stages[1])
        [outcome] = await evaluate_rule(
            session,
            rule=rule,
            # Conversion within a day: 03-01..03-03, all dropped, are judged on 03-05.
            at=at(datetime(2026, 3, 5).date()),
            cohorts=cohort_source(seeded.stages[1].id),
        )
    data = await gql.data(
        """{ alerts { edges { node {
          status firedAt alertWindowHours changePoints pValue reason
          baseline { firstDay lastDay entered converted conversionRate dropOffRate }
          recent { firstDay lastDay entered converted conversionRate dropOffRate }
          driver { dimension label points share }
          observations { kind text authorName observation { id } }
          stage { name } journey { name } rule { recentDays stage { name } }
          activity { action actorName detail }
        } } } }"""
    )
    [edge] = data["alerts"]["edges"]
    alert = edge["node"]
    assert alert["status"] == "OPEN" and alert["alertWindowHours"] == 24
    assert alert["baseline"] == {
        "firstDay": "2026-02-01",
        "lastDay": "2026-02-28",
        "entered": 8400,
        "converted": 4200,
        "conversionRate": 0.5,
        "dropOffRate": 0.5,
    }
    assert alert["recent"]["firstDay"] == "2026-03-01" and alert["recent"]["entered"] == 900
    assert round(alert["recent"]["dropOffRate"], 3) == 0.65
    assert round(alert["changePoints"], 1) == -15.0 and alert["pValue"] < 1e-6
    assert (alert["driver"]["dimension"], alert["driver"]["label"]) == ("channel", "ad")
    assert alert["observations"] == [
        {
            "kind": "PAIN_POINT",
            "text": "shipping costs shock people",
            "authorName": "Al",
            "observation": {"id": gid("Observation", observation)},
        }
    ]
    assert alert["stage"] == {"name": "decision"}
    assert alert["rule"] == {"recentDays": 3, "stage": {"name": "decision"}}
    assert alert["activity"] == [
        {"action": "FIRED", "actorName": None, "detail": outcome.decision.reason}
    ]


async def test_alerts_page_newest_first_and_filter_by_status_and_journey(
    gql, db, seeded, workspace
):
    fired = await _alerts(db, seeded, 5)
    query = """query($status: AlertStatus, $journey: ID, $after: String) {
      alerts(status: $status, journeyId: $journey, first: 2, after: $after) {
        edges { node { id status } } pageInfo { hasNextPage endCursor }
      }
    }"""
    seen, after = [], None
    while True:
        page = (await gql.data(query, {"after": after}))["alerts"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [gid("Alert", alert) for alert in reversed(fired)]

    open_only = await gql.data(query, {"status": "OPEN"})
    assert [e["node"]["id"] for e in open_only["alerts"]["edges"]] == [gid("Alert", fired[-1])]
    async with db.begin() as session:
        other = await factories.make_journey(session, workspace)
    elsewhere = await gql.data(query, {"journey": gid("Journey", other)})
    assert elsewhere["alerts"]["edges"] == []


async def test_alerts_refuse_bad_page_sizes_cursors_and_ids(gql, seeded):
    cases = [
        ("{ alerts(first: 101) { edges { cursor } } }", "first"),
        ('{ alerts(after: "nonsense") { edges { cursor } } }', "after"),
        (
            f'{{ alerts(journeyId: "{gid("Stage", seeded.stages[0])}") {{ edges {{ cursor }} }} }}',
            "journeyId",
        ),
    ]
    for query, field in cases:
        body = await gql.run(query)
        assert body["errors"][0]["extensions"]["field"] == field, query


async def test_acknowledge_and_resolve_record_the_api_token_as_the_actor(gql, db, seeded):
    [alert] = await _alerts(db, seeded, 1)
    token_name = (await gql.data("{ viewer { tokenName } }"))["viewer"]["tokenName"]
    acknowledged = await gql.mutate("acknowledgeAlert", {"id": gid("Alert", alert)}, ALERT)
    assert acknowledged["errors"] == []
    assert acknowledged["alert"]["status"] == "ACKNOWLEDGED"
    assert acknowledged["alert"]["acknowledgedBy"] == f"API token “{token_name}”"
    again = await gql.mutate("acknowledgeAlert", {"id": gid("Alert", alert)}, ALERT)
    assert again["alert"] == acknowledged["alert"]  # repeating it changes nothing

    resolved = await gql.mutate("resolveAlert", {"id": gid("Alert", alert)}, ALERT)
    result = resolved["alert"]
    assert (result["status"], result["resolution"]) == ("RESOLVED", "BY_HAND")
    assert result["resolvedBy"] == f"API token “{token_name}”"
    assert [entry["action"] for entry in result["activity"]] == [
        "FIRED",
        "ACKNOWLEDGED",
        "RESOLVED",
    ]
    assert result["activity"][1]["actorId"].startswith("token:")
    async with db() as session:
        stored = await alert_service.get(
            session, workspace_id=alert.workspace_id, alert_id=alert.id
        )
        assert stored.status is AlertStatus.RESOLVED


async def test_assign_and_mute(gql, db, seeded):
    [alert] = await _alerts(db, seeded, 1)
    alert_id = gid("Alert", alert)
    assigned = await gql.mutate(
        "assignAlert",
        {"id": alert_id, "assigneeSlackUserId": " U024BE7LH ", "assigneeName": "Dana"},
        ALERT,
    )
    assert (assigned["alert"]["assigneeId"], assigned["alert"]["status"]) == (
        "U024BE7LH",
        "ACKNOWLEDGED",
    )
    muted = await gql.mutate("muteAlert", {"id": alert_id, "hours": 48}, ALERT)
    until = datetime.fromisoformat(muted["alert"]["mutedUntil"])
    assert timedelta(hours=47) < until - datetime.now(UTC) <= timedelta(hours=48)
    assert muted["alert"]["activity"][-1]["action"] == "MUTED"

    refused = [
        ("assignAlert", {"assigneeSlackUserId": "dana@example.com", "assigneeName": "Dana"}),
        ("assignAlert", {"assigneeSlackUserId": "U024BE7LH", "assigneeName": " "}),
        ("muteAlert", {"hours": 0}),
    ]
    for name, extra in refused:
        payload = await gql.mutate(name, {"id": alert_id, **extra}, "alert { id }")
        assert payload["alert"] is None and len(payload["errors"]) == 1, extra
    # The domain's limits and words: the same that Slack's mute menu meets.
    too_long = await gql.mutate("muteAlert", {"id": alert_id, "hours": 721}, "alert { id }")
    assert too_long["errors"] == [
        {
            "field": "hours",
            "message": "An alert can be muted for 1 hour up to 30 days (720 hours), not 721 hours.",
            "code": "OUT_OF_RANGE",
        }
    ]
    await gql.mutate("resolveAlert", {"id": alert_id})
    late = await gql.mutate("muteAlert", {"id": alert_id})
    assert [(e["field"], e["code"]) for e in late["errors"]] == [("id", "CONFLICT")]


async def test_another_workspaces_alerts_are_neither_listed_nor_changed(
    gql, db, seeded, other_workspace
):
    theirs = await seed(db, other_workspace)
    [alert] = await _alerts(db, theirs, 1)
    data = await gql.data(
        "query($id: ID!) { alerts { edges { cursor } } node(id: $id) { id } }",
        {"id": gid("Alert", alert)},
    )
    assert data == {"alerts": {"edges": []}, "node": None}
    for name in ("acknowledgeAlert", "resolveAlert", "muteAlert"):
        payload = await gql.mutate(name, {"id": gid("Alert", alert)}, "alert { id }")
        assert payload == {
            "alert": None,
            "errors": [
                {
                    "field": "id",
                    "message": "No alert with that id exists in this workspace.",
                    "code": "NOT_FOUND",
                }
            ],
        }
    wrong_type = await gql.mutate("resolveAlert", {"id": gid("Journey", seeded.journey)})
    assert [(e["field"], e["code"]) for e in wrong_type["errors"]] == [("id", "INVALID")]
    async with db() as session:
        stored = await alert_service.get(
            session, workspace_id=alert.workspace_id, alert_id=alert.id
        )
    assert stored.status is AlertStatus.OPEN


async def test_a_read_token_sees_alerts_but_cannot_act_on_them(
    gql, db, seeded, workspace, make_token
):
    [alert] = await _alerts(db, seeded, 1)
    read = await make_token(workspace, "read")
    body = await gql.run(
        "mutation($input: ResolveAlertInput!) { resolveAlert(input: $input) { errors { code } } }",
        {"input": {"id": gid("Alert", alert)}},
        token=read,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    data = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Alert { status } } "
        "journeys { openAlerts { status stage { name } } } }",
        {"id": gid("Alert", alert)},
        token=read,
    )
    assert data["node"] == {"status": "OPEN"}
    assert data["journeys"] == [
        {"openAlerts": [{"status": "OPEN", "stage": {"name": "awareness"}}]}
    ]
