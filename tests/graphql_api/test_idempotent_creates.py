"""A client retrying createAction or logObservation with the same idempotency key creates one
row, even when the retry arrives while the first request is still running."""

import asyncio

from sqlalchemy import func, select

from domain.action import service as action_service
from domain.action.models import Action
from domain.observation.models import Observation
from tests.support.graphql_data import gid


async def count(db, model) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_create_action_twice_with_one_key_creates_one_action(gql, seeded, db):
    before = await count(db, Action)
    input = {
        "journeyId": gid("Journey", seeded.journey),
        "title": "Show shipping costs on the product page",
        "idempotencyKey": "3f0c2a9e-7b1d-4c55-9a51-0d2f6c1e8b77",
    }
    payloads = await asyncio.gather(
        *(gql.mutate("createAction", input, "action { id }") for _ in range(3))
    )
    assert [p["errors"] for p in payloads] == [[], [], []]
    assert len({p["action"]["id"] for p in payloads}) == 1
    assert await count(db, Action) == before + 1

    another = await gql.mutate(
        "createAction", {**input, "idempotencyKey": "another-request"}, "action { id }"
    )
    assert another["action"]["id"] != payloads[0]["action"]["id"]
    assert await count(db, Action) == before + 2


async def test_log_observation_twice_with_one_key_logs_once(gql, seeded, db):
    before = await count(db, Observation)
    input = {
        "stageId": gid("Stage", seeded.stages[1]),
        "text": "the size guide is hard to find",
        "kind": "PAIN_POINT",
        "idempotencyKey": "form-1",
    }
    first = await gql.mutate("logObservation", input, "observation { id }")
    again = await gql.mutate("logObservation", input, "observation { id }")
    assert first["observation"]["id"] == again["observation"]["id"]
    assert await count(db, Observation) == before + 1


async def test_a_client_key_cannot_reach_what_a_slack_form_created(gql, seeded, db, workspace):
    async with db.begin() as session:
        from_slack = await action_service.create(
            session,
            workspace_id=workspace.id,
            journey_id=seeded.journey.id,
            title="Created in Slack",
            idempotency_key="slack:view:V0123",
        )
    payload = await gql.mutate(
        "createAction",
        {
            "journeyId": gid("Journey", seeded.journey),
            "title": "Created over the API",
            "idempotencyKey": "slack:view:V0123",
        },
        "action { id title }",
    )
    assert payload["action"]["title"] == "Created over the API"
    assert payload["action"]["id"] != gid("Action", from_slack)


async def test_a_bad_key_is_refused_and_nothing_is_created(gql, seeded, db):
    before = (await count(db, Action), await count(db, Observation))
    for key in ("", "has space", "x" * 101, "clé", "tab\there"):
        action = await gql.mutate(
            "createAction",
            {"journeyId": gid("Journey", seeded.journey), "title": "x", "idempotencyKey": key},
            "action { id }",
        )
        observation = await gql.mutate(
            "logObservation",
            {
                "stageId": gid("Stage", seeded.stages[0]),
                "text": "x",
                "kind": "INSIGHT",
                "idempotencyKey": key,
            },
            "observation { id }",
        )
        for payload in (action, observation):
            errors = [(e["field"], e["code"]) for e in payload["errors"]]
            assert errors == [("idempotencyKey", "INVALID")], key
            assert "visible ASCII" in payload["errors"][0]["message"]
    assert (await count(db, Action), await count(db, Observation)) == before
