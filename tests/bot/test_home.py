"""App Home: my team's journeys, recent observations across teams, a button to log."""

import json

from tests.support.factories import make_observation
from tests.support.slack_app import PUBLIC_URL
from tests.support.slack_payloads import HOME_OPENED, home_button
from tests.support.slack_requests import USER, shown


async def test_home_shows_my_teams_journeys_and_recent_observations(
    slack, fake_slack, db, on_support
):
    async with db.begin() as session:
        await make_observation(
            session,
            touchpoint=on_support.product_page,
            team=on_support.marketing,
            text="<!channel> reviews are hidden",
        )
    response = await slack.event(HOME_OPENED)
    assert response.status_code == 200
    [published] = await fake_slack.wait_for("views.publish")
    assert published["user_id"] == USER
    view = published["view"]
    assert view["type"] == "home"
    text = shown(view["blocks"])
    assert f"<{PUBLIC_URL}/journeys/{on_support.online.id}|Online purchase>" in text
    assert "Store visit" not in text  # Support owns no touchpoint there
    assert "&lt;!channel&gt; reviews are hidden" in text
    assert "<!channel>" not in json.dumps(view)
    assert "Online purchase › consideration" in text
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == "open_log_modal"


async def test_home_without_a_team_says_how_to_set_one(slack, fake_slack, acme):
    await slack.event(HOME_OPENED)
    [published] = await fake_slack.wait_for("views.publish")
    assert "/journey team &lt;name&gt;" in shown(published["view"]["blocks"])


async def test_a_retried_event_is_answered_and_changes_nothing(slack, fake_slack, db, on_support):
    for retry in ("1", "2"):
        response = await slack.event(
            HOME_OPENED,
            extra={"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"},
        )
        assert response.status_code == 200
    published = await fake_slack.wait_for("views.publish", 2)
    assert published[0]["view"] == published[1]["view"]


async def test_the_log_button_opens_the_modal(slack, fake_slack, on_support):
    response = await slack.interaction(home_button("open_log_modal"))
    assert response.status_code == 200
    [opened] = await fake_slack.wait_for("views.open")
    assert opened["trigger_id"] == "trigger.home"
    assert opened["view"]["callback_id"] == "log_observation"


async def test_logging_from_home_confirms_by_message_and_refreshes_home(
    slack, fake_slack, db, on_support
):
    from tests.support.slack_payloads import view_submission

    await slack.interaction(home_button("open_log_modal"))
    [opened] = await fake_slack.wait_for("views.open")
    chosen = {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "From home"}
    response = await slack.interaction(view_submission(opened["view"], chosen))
    assert response.status_code == 200
    [message] = await fake_slack.wait_for("chat.postMessage")
    assert message["channel"] == USER
    [published] = await fake_slack.wait_for("views.publish")
    assert "From home" in shown(published["view"]["blocks"])
