"""A request Slack retries (`X-Slack-Retry-Num`), or a button clicked twice, is done once and
confirmed once: the second answer posts nothing anyone would see."""

from sqlalchemy import select

from domain.observation.models import Observation
from tests.support.slack_payloads import view_submission
from tests.support.slack_requests import USER, command_body, payload_body, team, user

FORM = "application/x-www-form-urlencoded"


def retry(number: int) -> dict[str, dict[str, str]]:
    return {"extra": {"X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": "http_timeout"}}


async def observations(db) -> list[Observation]:
    async with db() as session:
        return list(await session.scalars(select(Observation)))


def confirmations(fake_slack) -> list:
    """Every answer a person could see: replies, ephemeral and direct messages."""
    methods = ("response_url", "chat.postEphemeral", "chat.postMessage")
    return [call for call in fake_slack.calls if call.method in methods]


async def test_a_retried_quick_log_logs_once_and_confirms_once(slack, fake_slack, db, on_support):
    body = command_body(
        "log product-page Reviews are hard to find",
        response_url=slack.response_url,
        trigger_id="trigger.retried",
    )
    first = await slack.settled(slack.post(body, FORM))
    retried = [await slack.settled(slack.post(body, FORM, **retry(n))) for n in (1, 2)]
    assert first.status_code == 200 and all(r.status_code == 200 for r in retried)
    [observation] = await observations(db)
    assert observation.text == "Reviews are hard to find"
    [confirmation] = confirmations(fake_slack)
    assert "Logged" in confirmation["text"]


async def test_a_retried_modal_submission_logs_once_and_confirms_once(
    slack, fake_slack, db, on_support
):
    await slack.settled(slack.command("log"))
    [opened] = fake_slack.calls_to("views.open")
    fake_slack.calls.clear()
    chosen = {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "Once"}
    payload = view_submission(opened["view"], chosen, view_id="V0TWICE")
    for headers in ({}, retry(1)):
        response = await slack.settled(slack.post(payload_body(payload), FORM, **headers))
        assert response.status_code == 200
    assert len(await observations(db)) == 1
    [confirmation] = confirmations(fake_slack)
    assert confirmation.method == "chat.postEphemeral"


async def test_a_double_click_on_a_candidate_logs_once_and_confirms_once(
    slack, fake_slack, db, on_support
):
    await slack.settled(slack.command("log checkout Costs surprise people", trigger_id="t.pick"))
    [question] = fake_slack.calls_to("response_url")
    fake_slack.calls.clear()
    [actions] = [b for b in question["blocks"] if b["type"] == "actions"]
    button = actions["elements"][0]
    click = {
        "type": "block_actions",
        "user": user(USER),
        "team": team(),
        "api_app_id": "A0001",
        "trigger_id": "trigger.button",
        "response_url": slack.response_url,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "b1",
                "type": "button",
                "value": button["value"],
            }
        ],
    }
    for _ in range(2):
        assert (await slack.settled(slack.interaction(click))).status_code == 200
    assert len(await observations(db)) == 1
    [confirmation] = confirmations(fake_slack)
    assert confirmation["replace_original"] is True
