"""Actions over GraphQL: created with a due date and the alert they came from, moved by
startAction/finishAction/dropAction and updateAction's status through the same rules as Slack's
buttons, with who did what and when; refusals in the payload, nothing stored."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from domain.action import service as action_service
from domain.action.models import Action, ActionActivity
from tests.support.factories import make_alert, make_alert_rule
from tests.support.graphql_data import gid, seed

ACTION = (
    "action { id status dueOn createdBy createdById doneAt statusChangedAt ownerTeam { name } "
    "alert { id status resolvedByAction { id } } activity { status actorName at } }"
)


async def fired_at_decision(db, seeded):
    async with db.begin() as session:
        rule = await make_alert_rule(session, seeded.journey, seeded.stages[1])
        return await make_alert(session, rule, seeded.stages[1])


async def stored(db, model) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_an_action_from_an_alert_is_started_and_finished_resolving_the_alert(gql, seeded, db):
    alert = await fired_at_decision(db, seeded)
    due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    created = await gql.mutate(
        "createAction",
        {
            "journeyId": gid("Journey", seeded.journey),
            "title": "Show shipping costs on the product page",
            "alertId": gid("Alert", alert),
            "dueOn": due,
        },
        ACTION,
    )
    assert created["errors"] == []
    action = created["action"]
    # Owned by the team owning the alert's stage's touchpoints, created by the token.
    assert action["ownerTeam"] == {"name": "support"}
    assert action["dueOn"] == due and action["createdById"].startswith("token:")
    assert action["alert"]["id"] == gid("Alert", alert) and action["doneAt"] is None
    assert [a["status"] for a in action["activity"]] == ["OPEN"]

    started = await gql.mutate("startAction", {"id": action["id"]}, ACTION)
    assert started["action"]["status"] == "IN_PROGRESS"
    finished = await gql.mutate("finishAction", {"id": action["id"]}, ACTION)
    again = await gql.mutate("finishAction", {"id": action["id"]}, ACTION)
    assert finished["errors"] == again["errors"] == []
    done = again["action"]
    assert done["status"] == "DONE" and done["doneAt"] == finished["action"]["doneAt"]
    assert [a["status"] for a in done["activity"]] == ["OPEN", "IN_PROGRESS", "DONE"]
    assert done["activity"][-1]["actorName"] == action["createdBy"]
    assert done["alert"] == {
        "id": gid("Alert", alert),
        "status": "RESOLVED",
        "resolvedByAction": {"id": action["id"]},
    }


async def test_done_and_dropped_are_final_whichever_mutation_tries(gql, seeded, db):
    journey = gid("Journey", seeded.journey)
    done = await gql.mutate("createAction", {"journeyId": journey, "title": "a"}, "action { id }")
    dropped = await gql.mutate(
        "createAction", {"journeyId": journey, "title": "b"}, "action { id }"
    )
    await gql.mutate("finishAction", {"id": done["action"]["id"]})
    await gql.mutate("dropAction", {"id": dropped["action"]["id"]})
    before = await stored(db, ActionActivity)
    for name, input in [
        ("startAction", {"id": done["action"]["id"]}),
        ("dropAction", {"id": done["action"]["id"]}),
        ("updateAction", {"id": done["action"]["id"], "status": "OPEN", "title": "renamed"}),
        ("finishAction", {"id": dropped["action"]["id"]}),
    ]:
        payload = await gql.mutate(name, input, "action { id }")
        assert payload["action"] is None, name
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("status", "CONFLICT")]
    assert await stored(db, ActionActivity) == before
    listed = await gql.data(
        "query($id: ID!) { journey(id: $id) { actions { title status } } }", {"id": journey}
    )
    assert sorted((a["title"], a["status"]) for a in listed["journey"]["actions"]) == [
        ("a", "DONE"),
        ("b", "DROPPED"),
    ]


async def test_update_action_moves_by_the_same_rules_and_records_who(gql, seeded):
    created = await gql.mutate(
        "createAction",
        {"journeyId": gid("Journey", seeded.journey), "title": "a", "ownerTeamId": None},
        "action { id ownerTeam { name } }",
    )
    assert created["action"]["ownerTeam"] is None  # null: no team, not the default
    moved = await gql.mutate(
        "updateAction", {"id": created["action"]["id"], "status": "IN_PROGRESS"}, ACTION
    )
    assert [a["status"] for a in moved["action"]["activity"]] == ["OPEN", "IN_PROGRESS"]
    back = await gql.mutate("updateAction", {"id": created["action"]["id"], "status": "OPEN"})
    assert [(e["field"], e["code"]) for e in back["errors"]] == [("status", "CONFLICT")]


async def test_refused_input_stores_nothing(gql, seeded, db, other_workspace):
    theirs = await seed(db, other_workspace)
    their_alert = await fired_at_decision(db, theirs)
    journey = gid("Journey", seeded.journey)
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    for extra, field, code in [
        ({"dueOn": yesterday}, "dueOn", "OUT_OF_RANGE"),
        ({"alertId": gid("Alert", their_alert)}, "alertId", "NOT_FOUND"),
        ({"ownerTeamId": gid("Team", theirs.team)}, "ownerTeamId", "NOT_FOUND"),
    ]:
        payload = await gql.mutate(
            "createAction", {"journeyId": journey, "title": "x", **extra}, "action { id }"
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], extra
    async with db.begin() as session:
        foreign = await action_service.create(
            session, workspace_id=other_workspace.id, journey_id=theirs.journey.id, title="theirs"
        )
    for name in ("startAction", "finishAction", "dropAction"):
        payload = await gql.mutate(name, {"id": gid("Action", foreign)}, "action { id }")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert await stored(db, Action) == 1  # theirs only
    assert await stored(db, ActionActivity) == 1
