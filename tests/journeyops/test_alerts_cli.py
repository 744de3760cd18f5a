"""`journeyops alerts evaluate` and `backtest` through the real command line."""

import asyncio
import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from domain.action.models import Action
from domain.alert.models import Alert, AlertStatus
from domain.notification.models import Notification
from domain.workspace.models import Workspace
from graphql_api import ids
from infrastructure.runtime import Runtime
from tests.support.cli import run
from tests.support.cohorts import DROP_DAY, at, cohort_source
from tests.support.factories import (
    make_alert_rule,
    make_done_action,
    make_journey,
    make_team,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
    track,
)
from tests.support.outcomes import (
    AFTER,
    BEFORE,
    MOMENT,
    THREE_DAYS_AFTER,
    TWO_DAYS_AFTER,
    resolved_alert,
    send_shoppers,
)
from tests.support.shop import make_shop

WHEN = at(date(2026, 3, 5)).isoformat()  # 03-01..03-03, judged within a day


@pytest.fixture
async def checkout(session):
    """A journey with a rule on every stage; its cart stage owned by a team with a channel."""
    workspace = await make_workspace(session)
    journey = await make_journey(
        session, workspace, name="Checkout", stages=("browse", "cart", "buy")
    )
    _browse, cart, _buy = await stages_of(session, journey)
    team = await make_team(session, workspace, channel="C0CHECKOUT")
    await make_touchpoint(session, cart, owner=team)
    rule = await make_alert_rule(session, journey)
    await session.commit()
    return rule, cart


@pytest.fixture
def cohorts_with_a_drop(monkeypatch, checkout):
    """Every Runtime the command creates reads synthetic cohorts where the cart stage drops."""
    _rule, cart = checkout
    create = Runtime.create
    source = cohort_source(cart.id)
    monkeypatch.setattr(
        Runtime,
        "create",
        classmethod(lambda cls, *a, **k: replace(create(*a, **k), cohorts=source)),
    )


async def alerts(monkeypatch, database_url, *args):
    result = await asyncio.to_thread(run, monkeypatch, database_url, "alerts", *args)
    lines = (
        [json.loads(line) for line in result.stdout.splitlines()] if result.exit_code == 0 else []
    )
    return result, lines


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_dry_run_prints_the_drop_and_writes_nothing(
    monkeypatch, database_url, session, checkout, cohorts_with_a_drop
):
    rule, _cart = checkout
    result, lines = await alerts(monkeypatch, database_url, "evaluate", "--at", WHEN, "--dry-run")
    assert result.exit_code == 0, result.output
    [line] = lines
    assert line["step"] == "fire" and line["rule_id"] == str(rule.id)
    assert (line["journey"], line["stage"]) == ("Checkout", "cart")
    assert line["recent"]["entered"] == 900 and line["recent"]["conversion"] == 0.35
    assert line["baseline"]["entered"] == 300 * 28 and line["baseline"]["conversion"] == 0.5
    assert line["change_points"] == -15.0 and line["p_value"] < 1e-5
    assert (line["converted_within_hours"], line["expected_conversion"]) == (24, 0.5)
    assert line["driver"]["label"] == "ad"
    assert "alert_id" not in line
    assert await count(session, Alert) == 0 and await count(session, Notification) == 0


async def test_without_dry_run_the_drop_fires_once_and_is_queued_for_slack(
    monkeypatch, database_url, session, checkout, cohorts_with_a_drop
):
    _, [fired] = await alerts(monkeypatch, database_url, "evaluate", "--at", WHEN)
    assert fired["step"] == "fire" and "alert_id" in fired
    assert await count(session, Alert) == 1 and await count(session, Notification) == 1
    # The alert is open now: evaluating again holds, and --all says why.
    _, again = await alerts(monkeypatch, database_url, "evaluate", "--at", WHEN)
    _, held = await alerts(monkeypatch, database_url, "evaluate", "--at", WHEN, "--all")
    assert again == [] and {line["step"] for line in held} == {"hold"}
    assert await count(session, Alert) == 1


async def test_evaluate_over_stored_events_prints_only_what_fires(
    monkeypatch, database_url, session, checkout
):
    """The real cohort source: a handful of events judge nothing, so nothing fires."""
    _rule, cart = checkout
    workspace = await session.get(Workspace, cart.workspace_id)
    await send(session, workspace, track("c1", "cart viewed", "2026-03-01T10:00:00Z"))
    await session.commit()
    result, lines = await alerts(monkeypatch, database_url, "evaluate", "--at", WHEN, "--all")
    assert result.exit_code == 0, result.output
    assert {line["stage"] for line in lines} == {"browse", "cart"}
    assert all(line["step"] == "hold" and line["p_value"] is None for line in lines)
    assert all("Not enough customers" in line["reason"] for line in lines)


async def test_backtest_reports_when_the_rule_would_have_fired_and_resolved(
    monkeypatch, database_url, checkout, cohorts_with_a_drop
):
    rule, _ = checkout
    graphql_id = ids.encode("AlertRule", rule.id)
    result, lines = await alerts(
        monkeypatch,
        database_url,
        "backtest",
        "--rule",
        graphql_id,
        "--from",
        "2026-02-15",
        "--to",
        "2026-04-15",
    )
    assert result.exit_code == 0, result.output
    assert [(line["step"], line["stage"]) for line in lines] == [
        ("fire", "cart"),
        ("resolve", "cart"),
    ]
    fired, resolved = (date.fromisoformat(line["at"][:10]) for line in lines)
    assert DROP_DAY < fired < resolved
    assert lines[1]["reason"].startswith("Recovered")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("evaluate", "--at", "yesterday"), "is not a time"),
        (("evaluate", "--at", "2999-01-01T00:00:00Z"), "is in the future"),
        (
            ("backtest", "--rule", "nope", "--from", "2026-01-01", "--to", "2026-02-01"),
            "not an alert rule id",
        ),
        (
            (
                "backtest",
                "--rule",
                "00000000-0000-0000-0000-000000000000",
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-01",
            ),
            "No alert rule",
        ),
        (
            ("backtest", "--rule", "{rule}", "--from", "2026-03-01", "--to", "2026-02-01"),
            "must not be after",
        ),
        (
            ("backtest", "--rule", "{rule}", "--from", "2024-01-01", "--to", "2026-02-01"),
            "at most 366 days",
        ),
        (
            ("backtest", "--rule", "{rule}", "--from", "1 March", "--to", "2026-02-01"),
            "--from “1 March” is not a date",
        ),
    ],
)
async def test_bad_input_is_refused_with_what_to_do(
    monkeypatch, database_url, checkout, args, message
):
    rule, _ = checkout
    args = [a.format(rule=rule.id) for a in args]
    result, _ = await alerts(monkeypatch, database_url, *args)
    assert result.exit_code == 2
    assert message in result.output


async def done_action_and_resolved_alert(session):
    """A done action whose stage converts better since (30 % to 60 %), and an alert resolved
    by hand whose stage is still below the baseline it fired on (50 % then, 30 % since)."""
    workspace, journey, _ = await make_shop(session)
    look, *_ = await stages_of(session, journey)
    action = await make_done_action(session, look, done_at=MOMENT)
    await session.commit()
    await send_shoppers(session, workspace, *BEFORE, converting=12)
    await send_shoppers(session, workspace, *AFTER, converting=24)
    alert = await resolved_alert(session, converting_after=12)
    return action, alert


def follow_ups(lines) -> dict[str, dict]:
    return {line["follow_up"]: line for line in lines if "follow_up" in line}


async def test_dry_run_says_what_the_follow_ups_would_settle_and_writes_nothing(
    monkeypatch, database_url, session
):
    action, alert = await done_action_and_resolved_alert(session)
    action_key, alert_key = (action.workspace_id, action.id), (alert.workspace_id, alert.id)
    notifications_before = await count(session, Notification)

    when = TWO_DAYS_AFTER.isoformat()
    _, early = await alerts(monkeypatch, database_url, "evaluate", "--at", when, "--dry-run")
    assert follow_ups(early) == {}  # still waiting: said with --all, as holds are
    _, early = await alerts(
        monkeypatch, database_url, "evaluate", "--at", when, "--dry-run", "--all"
    )
    waiting = follow_ups(early)
    assert waiting["action_outcome"]["step"] == "not_yet"
    assert waiting["alert_proof"]["step"] == "wait"

    result, lines = await alerts(
        monkeypatch, database_url, "evaluate", "--at", THREE_DAYS_AFTER.isoformat(), "--dry-run"
    )
    assert result.exit_code == 0, result.output
    seen = follow_ups(lines)
    outcome, proof = seen["action_outcome"], seen["alert_proof"]
    assert (outcome["action_id"], outcome["step"]) == (str(action_key[1]), "better")
    assert (outcome["before"]["entered"], outcome["before"]["conversion"]) == (1120, 0.3)
    assert (outcome["after"]["entered"], outcome["after"]["conversion"]) == (120, 0.6)
    assert outcome["reason"].startswith("Better: conversion went from 30.0 %")
    assert (proof["alert_id"], proof["step"]) == (str(alert_key[1]), "reopen")
    assert proof["before"]["conversion"] == 0.5 and proof["after"]["conversion"] == 0.3
    session.expire_all()
    assert (await session.get_one(Action, action_key)).outcome is None
    still = await session.get_one(Alert, alert_key)
    assert (still.status, still.proof) == (AlertStatus.RESOLVED, None)
    assert await count(session, Notification) == notifications_before

    # The worker's job, run by the same command without --dry-run, decides the same.
    _, applied = await alerts(
        monkeypatch, database_url, "evaluate", "--at", THREE_DAYS_AFTER.isoformat()
    )
    assert {k: v["step"] for k, v in follow_ups(applied).items()} == {
        "action_outcome": "better",
        "alert_proof": "reopen",
    }
    session.expire_all()
    measured = await session.get_one(Action, action_key)
    assert measured.outcome is not None and measured.outcome["verdict"] == "better"
    reopened = await session.get_one(Alert, alert_key)
    assert reopened.status is not AlertStatus.RESOLVED
    _, after = await alerts(
        monkeypatch, database_url, "evaluate", "--at", THREE_DAYS_AFTER.isoformat(), "--dry-run"
    )
    assert follow_ups(after) == {}  # settled: nothing left to follow up
