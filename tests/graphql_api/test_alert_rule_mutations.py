"""Alert rules over GraphQL: defaults that do the right thing, settings checked, one workspace."""

from tests.support import factories
from tests.support.cohorts import cohort_source
from tests.support.graphql_data import gid, seed

RULE = """alertRule {
  id enabled recentDays baselineDays alertWindowHours minChangePoints alpha minSample
  cooldownHours effectiveAlertWindowHours effectiveCooldownHours
  journey { name } stage { name } stagesWatched { name }
}"""


async def test_a_rule_given_only_a_journey_watches_every_stage_but_the_last(gql, seeded):
    payload = await gql.mutate(
        "createAlertRule", {"journeyId": gid("Journey", seeded.journey)}, RULE
    )
    assert payload["errors"] == []
    rule = payload["alertRule"]
    assert rule["stage"] is None
    assert rule["stagesWatched"] == [{"name": "awareness"}, {"name": "decision"}]
    assert (rule["recentDays"], rule["baselineDays"], rule["minSample"]) == (3, 28, 50)
    assert (rule["minChangePoints"], rule["alpha"], rule["enabled"]) == (5.0, 0.00001, True)
    # Unset settings follow the journey (30-day conversion window) and the recent window.
    assert (rule["alertWindowHours"], rule["effectiveAlertWindowHours"]) == (None, 168)
    assert (rule["cooldownHours"], rule["effectiveCooldownHours"]) == (None, 72)


async def test_the_effective_alert_window_follows_a_short_conversion_window(gql, db, workspace):
    async with db.begin() as session:
        journey = await factories.make_journey(session, workspace, conversion_window_days=4)
    payload = await gql.mutate("createAlertRule", {"journeyId": gid("Journey", journey)}, RULE)
    assert payload["alertRule"]["effectiveAlertWindowHours"] == 48


async def test_a_rule_for_one_stage_with_its_own_settings(gql, seeded):
    payload = await gql.mutate(
        "createAlertRule",
        {
            "journeyId": gid("Journey", seeded.journey),
            "stageId": gid("Stage", seeded.stages[1]),
            "recentDays": 14,
            "alertWindowHours": 72,
            "cooldownHours": 24,
        },
        RULE,
    )
    rule = payload["alertRule"]
    assert rule["stage"] == {"name": "decision"}
    assert rule["stagesWatched"] == [{"name": "decision"}]
    assert (rule["effectiveAlertWindowHours"], rule["effectiveCooldownHours"]) == (72, 24)


async def test_create_alert_rule_refuses_bad_settings(gql, seeded, other_workspace, db):
    theirs = await seed(db, other_workspace)
    journey = gid("Journey", seeded.journey)
    await gql.mutate("createAlertRule", {"journeyId": journey})
    cases = [
        ({"stageId": gid("Stage", seeded.stages[0]), "minChangePoints": 0.1}, "minChangePoints"),
        ({"stageId": gid("Stage", seeded.stages[0]), "alpha": 0.2}, "alpha"),
        ({"stageId": gid("Stage", seeded.stages[0]), "alertWindowHours": 720}, "alertWindowHours"),
        ({"stageId": gid("Stage", seeded.stages[0]), "recentDays": 0}, "recentDays"),
        ({"stageId": gid("Stage", seeded.stages[0]), "minSample": 5}, "minSample"),
        ({"stageId": gid("Stage", seeded.stages[0]), "cooldownHours": 0}, "cooldownHours"),
    ]
    for extra, field in cases:
        payload = await gql.mutate(
            "createAlertRule", {"journeyId": journey, **extra}, "alertRule { id }"
        )
        assert payload["alertRule"] is None, extra
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "OUT_OF_RANGE")]

    refused = [
        ({}, "stageId", "DUPLICATE"),  # the journey already has an all-stages rule
        ({"stageId": gid("Stage", seeded.stages[2])}, "stageId", "INVALID"),  # the last stage
        ({"stageId": gid("Stage", theirs.stages[0])}, "stageId", "NOT_FOUND"),
        ({"stageId": gid("Team", seeded.team)}, "stageId", "INVALID"),
    ]
    for extra, field, code in refused:
        payload = await gql.mutate("createAlertRule", {"journeyId": journey, **extra})
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], extra
    other_journey = {"journeyId": gid("Journey", theirs.journey)}
    payload = await gql.mutate("createAlertRule", other_journey)
    assert payload["errors"][0]["message"] == "No journey with that id exists in this workspace."


async def test_update_alert_rule_changes_what_is_given_and_null_restores_defaults(gql, seeded):
    created = await gql.mutate(
        "createAlertRule",
        {"journeyId": gid("Journey", seeded.journey), "recentDays": 7, "alertWindowHours": 24},
        "alertRule { id }",
    )
    rule_id = created["alertRule"]["id"]
    payload = await gql.mutate(
        "updateAlertRule",
        {"id": rule_id, "minSample": 200, "recentDays": None, "alertWindowHours": None},
        RULE,
    )
    rule = payload["alertRule"]
    assert (rule["minSample"], rule["recentDays"], rule["alertWindowHours"]) == (200, 3, None)
    assert rule["baselineDays"] == 28  # left out: as it was

    refused = await gql.mutate("updateAlertRule", {"id": rule_id, "baselineDays": 2}, RULE)
    assert refused["alertRule"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("baselineDays", "OUT_OF_RANGE")
    ]
    [listed] = (await gql.data("{ alertRules { minSample baselineDays } }"))["alertRules"]
    assert listed == {"minSample": 200, "baselineDays": 28}


async def test_another_workspaces_rule_cannot_be_changed_or_deleted(gql, db, other_workspace):
    theirs = await seed(db, other_workspace)
    async with db.begin() as session:
        rule = await factories.make_alert_rule(session, theirs.journey)
    for name, extra in (("updateAlertRule", {"enabled": False}), ("deleteAlertRule", {})):
        payload = await gql.mutate(name, {"id": gid("AlertRule", rule), **extra})
        assert payload["errors"] == [
            {
                "field": "id",
                "message": "No alert rule with that id exists in this workspace.",
                "code": "NOT_FOUND",
            }
        ]
    async with db() as session:
        assert (await session.get(type(rule), (rule.workspace_id, rule.id))).enabled


async def test_delete_alert_rule(gql, db, seeded):
    async with db.begin() as session:
        rule = await factories.make_alert_rule(session, seeded.journey)
        await factories.make_alert(session, rule, seeded.stages[0])
    payload = await gql.mutate("deleteAlertRule", {"id": gid("AlertRule", rule)}, "deletedId")
    assert payload == {"deletedId": gid("AlertRule", rule), "errors": []}
    data = await gql.data("{ alertRules { id } alerts { edges { node { id } } } }")
    assert data == {"alertRules": [], "alerts": {"edges": []}}


async def test_a_read_token_lists_rules_but_cannot_create_them(
    gql, db, seeded, workspace, make_token
):
    async with db.begin() as session:
        await factories.make_alert_rule(session, seeded.journey, seeded.stages[1])
    read = await make_token(workspace, "read")
    body = await gql.run(
        "mutation($input: CreateAlertRuleInput!) "
        "{ createAlertRule(input: $input) { errors { code } } }",
        {"input": {"journeyId": gid("Journey", seeded.journey)}},
        token=read,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    query = "query($j: ID) { alertRules(journeyId: $j) { stage { name } } }"
    data = await gql.data(query, {"j": gid("Journey", seeded.journey)}, token=read)
    assert data == {"alertRules": [{"stage": {"name": "decision"}}]}


async def test_rules_are_listed_per_journey_and_workspace(
    gql, db, seeded, workspace, other_workspace
):
    theirs = await seed(db, other_workspace)
    async with db.begin() as session:
        other = await factories.make_journey(session, workspace, stages=("a", "b"))
        await factories.make_alert_rule(session, seeded.journey)
        await factories.make_alert_rule(session, other)
        await factories.make_alert_rule(session, theirs.journey)
    data = await gql.data(
        "query($j: ID) { alertRules(journeyId: $j) { journey { name } } "
        "journeys { name alertRules { stagesWatched { name } } } }",
        {"j": gid("Journey", other)},
    )
    assert data["alertRules"] == [{"journey": {"name": other.name}}]
    by_journey = {j["name"]: j["alertRules"] for j in data["journeys"]}
    assert by_journey == {
        "Online shop": [{"stagesWatched": [{"name": "awareness"}, {"name": "decision"}]}],
        other.name: [{"stagesWatched": [{"name": "a"}]}],
    }


CAN_SHOW = "warnings alertRule { detectableFalls { stage { name } points reason } }"


async def test_a_new_rule_warns_of_stages_it_cannot_judge_and_is_still_created(gql, seeded):
    # No customer events stored: no stage has the customers to judge.
    payload = await gql.mutate(
        "createAlertRule", {"journeyId": gid("Journey", seeded.journey)}, CAN_SHOW
    )
    assert payload["errors"] == [] and payload["alertRule"] is not None
    why = "Cannot judge yet: 0 matured customers in the recent window, 50 needed."
    assert payload["warnings"] == [
        f"awareness cannot show a fall of 10 points now. {why}",
        f"decision cannot show a fall of 10 points now. {why}",
    ]
    assert payload["alertRule"]["detectableFalls"] == [
        {"stage": {"name": "awareness"}, "points": None, "reason": why},
        {"stage": {"name": "decision"}, "points": None, "reason": why},
    ]


async def test_what_each_watched_stage_can_show_at_its_volume(gql, app, seeded):
    # 300 customers a day converting 50 % at every stage.
    app.state.runtime.cohorts = cohort_source(dropping_stage_id=None)
    journey = gid("Journey", seeded.journey)
    payload = await gql.mutate("createAlertRule", {"journeyId": journey}, CAN_SHOW)
    assert payload["warnings"] == []
    falls = payload["alertRule"]["detectableFalls"]
    assert [(f["stage"]["name"], round(f["points"], 2)) for f in falls] == [
        ("awareness", 7.9),
        ("decision", 7.9),
    ]
    assert falls[0]["reason"].startswith("Can detect a fall of 7.9 points from 50.0 %")

    # One day against a week, at a stricter alpha: 300 against 2,100 customers.
    strict = {
        "journeyId": journey,
        "stageId": gid("Stage", seeded.stages[1]),
        "recentDays": 1,
        "baselineDays": 7,
        "alpha": 1e-9,
    }
    payload = await gql.mutate("createAlertRule", strict, CAN_SHOW)
    assert payload["errors"] == [] and payload["alertRule"] is not None
    assert payload["warnings"] == [
        "decision cannot show a fall of 10 points now. Can detect a fall of 18.5 points from "
        "50.0 % (300 recent and 2100 baseline customers)."
    ]
