"""backtestAlertRule: a rule replayed over past cohorts from the runtime's CohortSource (the
stored events by default; a synthetic stand-in where a test needs a drop)."""

from domain.metrics.cohorts import daily_cohorts
from tests.support import factories
from tests.support.cohorts import cohort_source
from tests.support.graphql_data import gid, seed

BACKTEST = """query($rule: ID!, $from: Date!, $to: Date!) {
  backtestAlertRule(ruleId: $rule, from: $from, to: $to) {
    rule { id }
    events {
      at step reason changePoints pValue stage { name }
      baseline { entered converted } recent { firstDay lastDay entered converted }
      driver { dimension label }
    }
    errors { field message code }
  }
  alerts { edges { cursor } }
}"""


async def _rule(db, seeded):
    async with db.begin() as session:
        return await factories.make_alert_rule(session, seeded.journey)


async def test_a_backtest_replays_the_stored_events_by_default(gql, app, db, seeded):
    assert app.state.runtime.cohorts is daily_cohorts
    rule = await _rule(db, seeded)
    variables = {"rule": gid("AlertRule", rule), "from": "2026-02-15", "to": "2026-04-15"}
    result = (await gql.data(BACKTEST, variables))["backtestAlertRule"]
    # No customer events were stored, so no cohort is large enough to judge.
    assert result == {"rule": {"id": gid("AlertRule", rule)}, "events": [], "errors": []}


async def test_a_backtest_reports_each_fire_and_recovery_and_writes_nothing(
    gql, app, db, seeded, workspace, make_token
):
    rule = await _rule(db, seeded)
    app.state.runtime.cohorts = cohort_source(dropping_stage_id=seeded.stages[1].id)
    variables = {"rule": gid("AlertRule", rule), "from": "2026-02-15", "to": "2026-04-15"}
    # Tuning reads only, so a read token may backtest.
    data = await gql.data(BACKTEST, variables, token=await make_token(workspace, "read"))
    result = data["backtestAlertRule"]
    assert result["errors"] == [] and result["rule"] == {"id": gid("AlertRule", rule)}
    fired, recovered = result["events"]
    assert (fired["at"], fired["step"], fired["stage"]) == (
        "2026-03-03T06:00:00+00:00",
        "FIRE",
        {"name": "decision"},
    )
    # Everyone converts within a day: the first dropped day, judged on its own, fires.
    assert fired["recent"] == {
        "firstDay": "2026-03-01",
        "lastDay": "2026-03-01",
        "entered": 300,
        "converted": 105,
    }
    assert fired["driver"] == {"dimension": "channel", "label": "ad"}
    assert fired["pValue"] < 1e-5 and round(fired["changePoints"], 1) == -15.0
    assert (recovered["at"][:10], recovered["step"]) == ("2026-03-24", "RESOLVE")
    assert recovered["reason"].startswith("Recovered:")
    assert data["alerts"] == {"edges": []}


async def test_a_backtest_refuses_bad_ranges_and_unknown_rules(
    gql, app, db, seeded, other_workspace
):
    rule = gid("AlertRule", await _rule(db, seeded))
    theirs = await _rule(db, await seed(db, other_workspace))
    app.state.runtime.cohorts = cohort_source(dropping_stage_id=None)
    cases = [
        ({"rule": rule, "from": "2026-03-02", "to": "2026-03-01"}, "from", "INVALID"),
        ({"rule": rule, "from": "2025-01-01", "to": "2026-03-01"}, "to", "OUT_OF_RANGE"),
        (
            {"rule": gid("AlertRule", theirs), "from": "2026-03-01", "to": "2026-03-02"},
            "ruleId",
            "NOT_FOUND",
        ),
        (
            {"rule": gid("Journey", seeded.journey), "from": "2026-03-01", "to": "2026-03-02"},
            "ruleId",
            "INVALID",
        ),
    ]
    for variables, field, code in cases:
        result = (await gql.data(BACKTEST, variables))["backtestAlertRule"]
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(field, code)], variables
        assert result["events"] == []
