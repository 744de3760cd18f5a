import uuid
from datetime import UTC, date, datetime

import pytest

from bot.alert_message import AlertButton, AlertView, read_mute_value, render
from domain.alert.models import Alert, AlertStatus, Resolution

pytestmark = pytest.mark.pure


def _alert(**changes) -> Alert:
    values = dict(
        id=uuid.uuid4(),
        status=AlertStatus.OPEN,
        alert_window_hours=168,
        baseline_first=date(2026, 2, 1),
        baseline_last=date(2026, 2, 28),
        recent_first=date(2026, 3, 1),
        recent_last=date(2026, 3, 3),
        baseline_entered=8400,
        baseline_converted=4200,
        recent_entered=900,
        recent_converted=315,
        change_points=-15.0,
        z_score=-8.6,
        p_value=5e-18,
        driver_dimension="channel",
        driver_label="ad",
        driver_points=-12.0,
        observations=[{"text": "<!channel> shipping costs & fees", "author_name": "Dana"}],
    )
    values.update(changes)
    return Alert(**values)


def _view(alert: Alert) -> AlertView:
    return AlertView(alert, "Online <purchase>", "checkout", "https://jo.example/journeys/1")


def _action_ids(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_an_alert_judged_early_says_within_what_time_and_on_which_day():
    text, blocks = render(
        _view(
            _alert(
                alert_window_hours=24,
                recent_last=date(2026, 3, 1),
                recent_entered=300,
                recent_converted=105,
            )
        )
    )
    assert "converted within 1 day 35.0 %" in text
    assert "*Converted within 1 day:* 35.0 % of 300 customers who entered Mar 01," in str(blocks)


def test_an_open_alert_shows_the_figures_the_driver_the_observations_and_every_button():
    text, blocks = render(_view(_alert()))
    assert (
        text == "Online &lt;purchase&gt; › checkout: converted within 7 days 35.0 % against 50.0 % "
        "(-15.0 points)"
    )
    body = str(blocks)
    assert "*Converted within 7 days:* 35.0 % of 900 customers who entered Mar 01–Mar 03" in body
    assert "35.0 %" in body and "900 customers" in body and "8,400" in body
    assert "*ad*" in body and "-12.0 of the -15.0 points" in body
    assert "&lt;!channel&gt; shipping costs &amp; fees" in body and "<!channel>" not in body
    assert _action_ids(blocks) == [
        AlertButton.ACKNOWLEDGE,
        AlertButton.ASSIGN_TO_ME,
        AlertButton.MUTE,
        AlertButton.RESOLVE,
        AlertButton.CREATE_ACTION,
        AlertButton.OPEN_MAP,
    ]


def test_state_shows_who_acknowledged_who_has_it_and_the_mute():
    alert = _alert(
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_by="Dana",
        assignee_id="U0DANA",
        muted_until=datetime(2026, 3, 12, 9, tzinfo=UTC),
    )
    body = str(render(_view(alert))[1])
    assert "Acknowledged by Dana" in body and "<@U0DANA>" in body
    # Each reader sees the time in their own zone; the fallback is UTC.
    until = int(datetime(2026, 3, 12, 9, tzinfo=UTC).timestamp())
    token = f"<!date^{until}^{{date_short_pretty}} {{time}}|2026-03-12 09:00 UTC>"
    assert f"Muted until {token}" in body


def test_the_mute_menu_offers_an_hour_a_day_and_a_week_of_this_alert():
    alert = _alert()
    [menu] = [
        e
        for b in render(_view(alert))[1]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == AlertButton.MUTE
    ]
    assert menu["type"] == "static_select"
    choices = [(o["text"]["text"], read_mute_value(o["value"])) for o in menu["options"]]
    assert choices == [
        ("1 hour", (1, alert.id)),
        ("24 hours", (24, alert.id)),
        ("7 days", (168, alert.id)),
    ]


def test_a_resolved_alert_keeps_only_the_map_button():
    alert = _alert(status=AlertStatus.RESOLVED, resolution=Resolution.RECOVERED)
    _text, blocks = render(_view(alert))
    assert "Resolved itself" in str(blocks)
    assert _action_ids(blocks) == [AlertButton.OPEN_MAP]
