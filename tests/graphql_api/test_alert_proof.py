"""`Alert.proof`: after a person resolved an alert, what the cohorts since showed."""

from datetime import UTC, datetime

from domain.alert import proof
from domain.alert import service as alert_service
from tests.support import factories
from tests.support.cohorts import cohort_source
from tests.support.graphql_data import gid

FIRED_AT = datetime(2026, 4, 1, 6, tzinfo=UTC)
RESOLVED_AT = datetime(2026, 4, 10, 12, tzinfo=UTC)
# Seven-day alert window: the third day after (13 April) has matured on 21 April.
CHECKED_AT = datetime(2026, 4, 21, 6, tzinfo=UTC)


async def test_an_alert_resolved_by_hand_shows_its_proof_once_checked(gql, db, seeded):
    async with db.begin() as session:
        rule = await factories.make_alert_rule(session, seeded.journey, seeded.stages[1])
        alert = await factories.make_alert(session, rule, seeded.stages[1], at=FIRED_AT)
        await alert_service.resolve(
            session,
            workspace_id=alert.workspace_id,
            alert_id=alert.id,
            actor_id="U1",
            actor_name="K",
        )
        alert.resolved_at = RESOLVED_AT
    query = (
        "query($id: ID!) { node(id: $id) { ... on Alert { status proof { step verdict "
        "beforeRate afterRate afterEntered afterFirstDay afterLastDay pValue checkedAt } } } }"
    )
    variables = {"id": gid("Alert", alert)}
    assert (await gql.data(query, variables))["node"]["proof"] is None

    async with db.begin() as session:  # 300 customers a day at 50 %: the baseline it fired on
        await proof.check(
            session,
            workspace_id=alert.workspace_id,
            alert_id=alert.id,
            at=CHECKED_AT,
            cohorts=cohort_source(dropping_stage_id=None),
        )

    assert (await gql.data(query, variables))["node"] == {
        "status": "RESOLVED",
        "proof": {
            "step": "BACK",
            "verdict": "NO_CHANGE",
            "beforeRate": 0.5,
            "afterRate": 0.5,
            "afterEntered": 900,
            "afterFirstDay": "2026-04-11",
            "afterLastDay": "2026-04-13",
            "pValue": 1.0,
            "checkedAt": "2026-04-21T06:00:00+00:00",
        },
    }
