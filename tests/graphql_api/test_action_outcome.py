"""`Action.outcome`: the measured effect of a done action, typed, null until it is known."""

from datetime import UTC, datetime

from domain.action import outcome as action_outcome
from tests.support.cohorts import cohort_source
from tests.support.factories import make_done_action
from tests.support.graphql_data import gid

DONE_AT = datetime(2026, 4, 10, 12, tzinfo=UTC)
# Seven-day alert window: the third day after (13 April) has matured on 21 April.
MEASURED_AT = datetime(2026, 4, 25, 6, tzinfo=UTC)
OUTCOME = (
    "outcome { verdict beforeEntered beforeConverted afterEntered afterConverted "
    "afterFirstDay afterLastDay beforeRate afterRate changePoints pValue measuredAt sentence }"
)


async def test_a_done_action_shows_its_outcome_once_measured(gql, seeded, db):
    async with db.begin() as session:
        action = await make_done_action(session, seeded.stages[1], done_at=DONE_AT)
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Action {{ {OUTCOME} }} }} }}"
    variables = {"id": gid("Action", action)}
    assert (await gql.data(query, variables))["node"] == {"outcome": None}

    async with db.begin() as session:  # 300 customers a day at 50 %, before and after
        await action_outcome.measure(
            session,
            workspace_id=action.workspace_id,
            action_id=action.id,
            at=MEASURED_AT,
            cohorts=cohort_source(dropping_stage_id=None),
        )

    outcome = (await gql.data(query, variables))["node"]["outcome"]
    assert outcome == {
        "verdict": "NO_CHANGE",
        "beforeEntered": 8400,
        "beforeConverted": 4200,
        "afterEntered": 900,
        "afterConverted": 450,
        "afterFirstDay": "2026-04-11",
        "afterLastDay": "2026-04-13",
        "beforeRate": 0.5,
        "afterRate": 0.5,
        "changePoints": 0.0,
        "pValue": 1.0,
        "measuredAt": "2026-04-25T06:00:00+00:00",
        "sentence": "No change beyond chance: conversion went from 50.0 % (8,400 customers "
        "before) to 50.0 % (900 after), +0.0 points (p = 1).",
    }
