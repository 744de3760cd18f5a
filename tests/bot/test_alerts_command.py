"""`/journey alerts`: open alerts and rules, adding and removing a rule, and App Home's alerts."""

import json

from sqlalchemy import select

from domain.alert import service as alert_service
from domain.alert_rule.models import DEFAULT_MIN_CHANGE_POINTS, DEFAULT_RECENT_DAYS, AlertRule
from tests.support.cohorts import cohort_source
from tests.support.factories import make_alert, make_alert_rule, stages_of
from tests.support.slack_payloads import HOME_OPENED
from tests.support.slack_requests import USER, ask, shown


async def rules(db) -> list[AlertRule]:
    async with db() as session:
        return list(await session.scalars(select(AlertRule).order_by(AlertRule.created_at)))


async def test_alerts_lists_open_alerts_with_drop_off_status_assignee_and_the_rules(
    slack, fake_slack, db, acme
):
    async with db.begin() as session:
        rule = await make_alert_rule(session, acme.online, acme.stages[1])
        await make_alert_rule(session, acme.store)
        alert = await make_alert(session, rule, acme.stages[1])
        await alert_service.assign(
            session,
            workspace_id=acme.workspace.id,
            alert_id=alert.id,
            assignee_id="U0002",
            assignee_name="<!here> sam",
            actor_id="U0002",
            actor_name="sam",
        )
        muted = await alert_service.mute(
            session,
            workspace_id=acme.workspace.id,
            alert_id=alert.id,
            hours=168,
            actor_id="U0002",
            actor_name="sam",
        )
    reply = await ask(slack, fake_slack, "alerts")
    assert reply["response_type"] == "ephemeral"
    text = shown(reply["blocks"])
    # dropped_evaluation: conversion 50 % → 35 %, so drop-off 50 % → 65 %.
    assert (
        "*Online purchase › consideration*: drop-off 65.0% against 50.0%, not converted within "
        "7 days" in text
    )
    assert "(900 vs 8,400 customers)" in text
    assert "acknowledged, assigned to &lt;!here&gt; sam" in text
    until = muted.muted_until
    assert f", muted until <!date^{int(until.timestamp())}^{{date_short_pretty}} {{time}}|" in text
    assert "<!here>" not in json.dumps(reply["blocks"])
    assert "• Online purchase › consideration: a fall of 5+ points over 3 days" in text
    assert "• Store visit (every stage)" in text


async def test_alerts_of_one_journey_leave_the_others_out(slack, fake_slack, db, acme):
    async with db.begin() as session:
        await make_alert_rule(session, acme.store)
    text = shown((await ask(slack, fake_slack, "alerts online purchase"))["blocks"])
    assert "*Open alerts of Online purchase*" in text
    assert "No open alerts." in text
    assert "Store visit" not in text
    assert "No alert rules yet" in text


async def test_alerts_add_creates_a_rule_with_the_defaults(slack, fake_slack, db, acme):
    reply = await ask(slack, fake_slack, "alerts add online purchase > consideration")
    assert "Alerting on *Online purchase › consideration*" in shown(reply["blocks"])
    reply = await ask(slack, fake_slack, "alerts add Store visit")
    assert "Alerting on *Store visit (every stage but the last)*" in shown(reply["blocks"])
    stage_rule, journey_rule = await rules(db)
    assert (stage_rule.journey_id, stage_rule.stage_id) == (acme.online.id, acme.stages[1].id)
    assert (journey_rule.journey_id, journey_rule.stage_id) == (acme.store.id, None)
    assert stage_rule.recent_days == DEFAULT_RECENT_DAYS
    assert stage_rule.min_change_points == DEFAULT_MIN_CHANGE_POINTS


async def test_alerts_add_reads_the_stage_without_a_separator(slack, fake_slack, db, acme):
    await ask(slack, fake_slack, "alerts add Online purchase consideration")
    [rule] = await rules(db)
    assert rule.stage_id == acme.stages[1].id


async def test_alerts_add_twice_says_the_rule_exists(slack, fake_slack, db, acme):
    await ask(slack, fake_slack, "alerts add Online purchase")
    reply = await ask(slack, fake_slack, "alerts add Online purchase")
    assert "There is already an alert rule for all stages of this journey" in shown(reply["blocks"])
    assert len(await rules(db)) == 1


async def test_alerts_add_an_unknown_journey_or_no_journey_says_what_to_do(
    slack, fake_slack, db, acme
):
    unknown = shown((await ask(slack, fake_slack, "alerts add Wedding planning"))["blocks"])
    assert ":warning:" in unknown and "journey" in unknown
    missing = shown((await ask(slack, fake_slack, "alerts add"))["blocks"])
    assert "/journey alerts add Online purchase &gt; checkout" in missing
    missing = shown((await ask(slack, fake_slack, "alerts remove"))["blocks"])
    assert "/journey alerts remove Online purchase &gt; checkout" in missing
    assert await rules(db) == []


async def test_alerts_add_on_the_last_stage_explains_why_not(slack, fake_slack, db, acme):
    last = acme.stages[-1].name
    reply = await ask(slack, fake_slack, f"alerts add Online purchase > {last}")
    assert "the journey's last stage" in shown(reply["blocks"])
    assert await rules(db) == []


async def test_alerts_remove_deletes_the_rule_and_says_when_there_is_none(
    slack, fake_slack, db, acme
):
    async with db.begin() as session:
        await make_alert_rule(session, acme.online, acme.stages[1])
    reply = await ask(slack, fake_slack, "alerts remove Online purchase")
    assert "There is no alert rule for all stages of “Online purchase”" in shown(reply["blocks"])
    reply = await ask(slack, fake_slack, "alerts remove Online purchase > consideration")
    assert "Removed the alert rule for *Online purchase › consideration*" in shown(reply["blocks"])
    assert await rules(db) == []


async def test_home_shows_the_open_alerts_of_my_teams_journeys(slack, fake_slack, db, on_support):
    async with db.begin() as session:
        online_rule = await make_alert_rule(session, on_support.online, on_support.stages[1])
        await make_alert(session, online_rule, on_support.stages[1])
        store_stages = await stages_of(session, on_support.store)
        store_rule = await make_alert_rule(session, on_support.store, store_stages[0])
        await make_alert(session, store_rule, store_stages[0])
    await slack.event(HOME_OPENED)
    [published] = await fake_slack.wait_for("views.publish")
    assert published["user_id"] == USER
    text = shown(published["view"]["blocks"])
    assert "*Open alerts* in your team's journeys" in text
    assert (
        "*Online purchase › consideration*: drop-off 65.0% against 50.0%, not converted within "
        "7 days" in text
    )
    assert "Store visit ›" not in text  # Support owns no touchpoint there


async def test_home_without_alerts_has_no_alerts_section(slack, fake_slack, on_support):
    await slack.event(HOME_OPENED)
    [published] = await fake_slack.wait_for("views.publish")
    assert "Open alerts" not in shown(published["view"]["blocks"])


async def test_alerts_say_what_each_watched_stage_can_show(slack, slack_app, fake_slack, db, acme):
    async with db.begin() as session:
        await make_alert_rule(session, acme.online)
    watched = [stage.name for stage in acme.stages[:-1]]
    # No customer events stored: no stage can be judged yet.
    text = shown((await ask(slack, fake_slack, "alerts"))["blocks"])
    for name in watched:
        assert (
            f"↳ :warning: {name}: Cannot judge yet: 0 matured customers in the recent window, "
            "50 needed." in text
        )
    # 300 customers a day converting 50 % at every stage.
    slack_app.state.runtime.cohorts = cohort_source(dropping_stage_id=None)
    text = shown((await ask(slack, fake_slack, "alerts"))["blocks"])
    for name in watched:
        assert f"↳ {name}: can detect a fall of 7.9 points" in text


async def test_alerts_add_warns_of_a_stage_too_small_to_show_a_10_point_fall(
    slack, slack_app, fake_slack, db, acme
):
    reply = await ask(slack, fake_slack, "alerts add online purchase > consideration")
    text = shown(reply["blocks"])
    assert "Alerting on *Online purchase › consideration*" in text
    assert (
        ":warning: consideration cannot show a fall of 10 points now. Cannot judge yet: 0 "
        "matured customers in the recent window, 50 needed." in text
    )
    assert len(await rules(db)) == 1  # a warning, not a refusal

    slack_app.state.runtime.cohorts = cohort_source(dropping_stage_id=None)
    text = shown((await ask(slack, fake_slack, "alerts add Store visit"))["blocks"])
    assert "Alerting on *Store visit" in text and ":warning:" not in text
