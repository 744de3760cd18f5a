"""`/journey metrics`: stage figures of the last days against the days before, as Block Kit."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factories import make_touchpoint, send, track
from tests.support.slack_requests import ask, shown


def at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


async def test_metrics_show_entered_conversion_and_change(slack, fake_slack, db, acme):
    awareness, consideration = acme.stages[0], acme.stages[1]
    async with db.begin() as session:
        await make_touchpoint(session, awareness, "Ad", event_names=("Ad Clicked",))
        await make_touchpoint(session, consideration, "Reviews", event_names=("Reviews Read",))
        events = [track(f"now{i}", "Ad Clicked", at(2)) for i in range(4)]
        events += [track("now0", "Reviews Read", at(1.5)), track("now1", "Reviews Read", at(1))]
        events += [track(f"before{i}", "Ad Clicked", at(9)) for i in range(2)]
        await send(session, acme.workspace, *events)
    reply = await ask(slack, fake_slack, "metrics Online purchase 7d")
    assert reply["response_type"] == "ephemeral"
    text = shown(reply["blocks"])
    assert "4 entered (▲100%)" in text
    assert "conversion 50.0%" in text
    assert "`" + "█" * 20 + "` 4 entered" in text  # the widest stage fills the bar
    assert "`" + "█" * 10 + "░" * 10 + "` 2 entered" in text
    reply = await ask(slack, fake_slack, "map Online purchase")  # the last 90 days: 6 entered
    assert "Conversion: 33.3% of 6 who entered" in shown(reply["blocks"])


@pytest.mark.parametrize(
    "words", ["Online purchase > decision", "online purchase decision", "Online Purchase decison"]
)
async def test_metrics_public_and_for_one_stage(slack, fake_slack, acme, words):
    reply = await ask(slack, fake_slack, f"metrics {words} 30d public")
    assert reply["response_type"] == "in_channel"
    text = shown(reply["blocks"])
    assert "*3. decision*" in text and "*1. awareness*" not in text
    assert "No customer entered" in text


async def test_metrics_of_an_unknown_journey(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "metrics Nope")
    assert "No journey is called “Nope”" in shown(reply["blocks"])
