"""The pure parts: text → command, and rendering within Slack's limits, escaped."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.blocks import fit, lines_within, section
from bot.commands import (
    AddAlertRule,
    CreateAction,
    Help,
    OpenLogModal,
    QuickLog,
    RemoveAlertRule,
    SetTeam,
    ShowActions,
    ShowAlerts,
    ShowMap,
    ShowMetrics,
    ShowStage,
    Subscribe,
    Unsubscribe,
    parse,
)
from bot.text import escape, unescape

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Help()),
        ("  HELP ", Help()),
        ("dance now", Help(unknown="dance")),
        ("log", OpenLogModal()),
        (
            "log checkout Shipping costs appear late #anxiety !pain_point",
            QuickLog("checkout", "Shipping costs appear late", "anxiety", "pain_point"),
        ),
        (
            'log "product page" slow  reviews',
            QuickLog("product page", "slow  reviews", quoted=True),
        ),
        ("log “product page” slow", QuickLog("product page", "slow", quoted=True)),
        ("log product page slow", QuickLog("product", "page slow")),
        ("log checkout #1 complaint is price", QuickLog("checkout", "#1 complaint is price")),
        ("log checkout wow!", QuickLog("checkout", "wow!")),
        ("log checkout", QuickLog("checkout", "")),
        ("map", ShowMap(None)),
        ("map Online purchase", ShowMap("Online purchase")),
        ("stage decision", ShowStage("decision")),
        ("team Customer Success", SetTeam("Customer Success")),
        ("subscribe Online purchase", Subscribe("Online purchase", None)),
        ("subscribe Online purchase &gt; decision", Subscribe("Online purchase", "decision")),
        ("subscribe Online purchase › decision", Subscribe("Online purchase", "decision")),
        ("unsubscribe", Unsubscribe(None)),
        ("metrics", ShowMetrics(None, None)),
        (
            "metrics Online purchase > decision 90d public",
            ShowMetrics("Online purchase", "decision", 90, True),
        ),
        ("alerts", ShowAlerts(None)),
        ("ALERTS Online purchase", ShowAlerts("Online purchase")),
        ("alerts add Online purchase", AddAlertRule("Online purchase", None)),
        ("alerts add Online purchase &gt; checkout", AddAlertRule("Online purchase", "checkout")),
        ("alerts Add Online purchase checkout", AddAlertRule("Online purchase checkout", None)),
        ("alerts add", AddAlertRule("", None)),
        ("alerts remove Store visit › awareness", RemoveAlertRule("Store visit", "awareness")),
        ("action", CreateAction("", None)),
        ("action Show shipping early", CreateAction("Show shipping early", None)),
        (
            "action Show costs at checkout at decision",
            CreateAction("Show costs at checkout", "decision"),
        ),
        ("action at Online purchase &gt; decision", CreateAction("", "Online purchase > decision")),
        ("actions", ShowActions(None)),
        ("actions Support", ShowActions("Support")),
    ],
)
def test_parse(text, command):
    assert parse(text) == command


def test_slack_escapes_are_undone_once_and_redone_for_display():
    typed = "a &lt;!channel&gt; &amp;lt; b"
    assert unescape(typed) == "a <!channel> &lt; b"
    assert escape(unescape(typed)) == typed


def test_a_long_list_ends_with_and_n_more_within_a_section():
    lines = [f"line {i} " + "x" * 100 for i in range(100)]
    text = lines_within(lines)
    assert len(text) <= 3000
    assert text.splitlines()[-1].startswith("…and ")
    shown_count = len(text.splitlines()) - 1
    assert text.splitlines()[-1] == f"…and {100 - shown_count} more"


def test_blocks_are_cut_at_fifty_with_a_note():
    blocks = fit([section(f"block {i}") for i in range(60)])
    assert len(blocks) == 50
    assert blocks[-1]["elements"][0]["text"] == "…and 11 more"


def test_a_section_is_cut_at_three_thousand_characters():
    block = fit([section("y" * 5000)])[0]
    assert len(block["text"]["text"]) == 3000
    json.dumps(block)


def test_candidates_for_a_text_too_long_for_buttons_list_their_keys():
    import uuid

    from bot.blocks import touchpoint_choices
    from domain.by_name.touchpoint import TouchpointPlace

    places = [
        TouchpointPlace(uuid.uuid4(), "checkout", "Checkout", "decision", "Online purchase"),
        TouchpointPlace(uuid.uuid4(), "till", "Checkout", "purchase", "Store visit"),
    ]
    short = touchpoint_choices("Which?", places, {"text": "short", "key": "k"})
    assert [b["type"] for b in short] == ["section", "actions", "context"]
    long = touchpoint_choices("Which?", places, {"text": "x" * 2500, "key": "k"})
    assert [b["type"] for b in long] == ["section", "context", "context"]
    assert "`checkout` (Checkout (Online purchase › decision))" in long[-1]["elements"][0]["text"]


def test_the_modal_asks_for_a_team_only_when_there_are_teams_to_choose():
    from bot.modal import Context, log_modal

    assert log_modal(Context(), teams=[])["blocks"][-1]["block_id"] == "text"


@given(st.text())
def test_no_user_text_can_open_a_mention_or_link(text):
    from bot.blocks import help_message
    from bot.text import quote

    rendered = quote(text) + escape(text) + json.dumps(help_message(text))
    assert "<" not in rendered and ">" not in rendered


@given(st.text(max_size=300))
def test_parse_never_fails(text):
    assert parse(text) is not None


def test_the_alerts_list_is_escaped_and_within_slacks_limits():
    import uuid
    from datetime import UTC, datetime

    from bot.blocks import alerts_message
    from domain.alert.models import Alert, AlertStatus
    from domain.alert.named_list import AlertsOverview, OpenAlert
    from domain.by_name.stage import StagePlace

    place = StagePlace(uuid.uuid4(), "<!channel> pay" * 10, uuid.uuid4(), "Online & co")
    alert = Alert(
        status=AlertStatus.OPEN,
        alert_window_hours=24,
        recent_converted=35,
        recent_entered=100,
        baseline_converted=50,
        baseline_entered=100,
        fired_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    blocks = alerts_message(AlertsOverview(None, [OpenAlert(alert, place)] * 200, []))
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    body = json.dumps(blocks)
    assert "<!channel>" not in body and "Online &amp; co" in body
    assert "more" in body  # …and N more


def test_what_watched_stages_can_show_is_escaped_and_within_slacks_limits():
    import uuid

    from bot.blocks import alerts_message
    from domain.alert.detectable import DetectableFall
    from domain.alert.evaluation import StageDetectableFall
    from domain.alert.named_list import AlertsOverview, NamedRule
    from domain.alert_rule.models import AlertRule

    stages = tuple(
        StageDetectableFall(
            uuid.uuid4(), "<!channel> pay & co" * 5, DetectableFall(None if i % 2 else 6.25, "<b>")
        )
        for i in range(20)
    )
    rule = AlertRule(enabled=True, min_change_points=5.0, recent_days=3, baseline_days=28)
    blocks = alerts_message(
        AlertsOverview(None, [], [NamedRule(rule, "<!here>", None, stages)] * 50)
    )
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    body = json.dumps(blocks)
    assert "<!channel>" not in body and "<!here>" not in body and "<b>" not in body
    assert "pay &amp; co" in body and "can detect a fall of 6.2 points" in body
    assert "more" in body  # …and N more
