"""What gets through `/slack/events`: the signature is checked on the raw bytes before anything
reads the body, and a signed payload whose shape is not one Slack sends is acknowledged and
ignored with a warning: never a 500, never a traceback, nothing stored."""

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from domain.observation.models import Observation
from tests.support.slack_payloads import view_submission
from tests.support.slack_requests import (
    SIGNING_SECRET,
    USER,
    command_body,
    signed_headers,
    team,
    user,
)

FORM = "application/x-www-form-urlencoded"
MALFORMED = [
    ("payload=%7Bbad", FORM),
    ("payload=[]", FORM),
    ("payload=%5B1%2C2%5D", FORM),
    ('{"type": "event_callback", "event": ', "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('"just a string"', "application/json"),
    ("%ZZ&&==", FORM),
]


def unsigned(body: str, content_type: str, **headers: str) -> dict[str, str]:
    return {"Content-Type": content_type, **headers}


async def stored_observations(db) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(Observation)) or 0


def errors_in(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_unsigned_malformed_bodies_are_refused_with_401_not_500(
    slack, fake_slack, caplog, acme, body, content_type
):
    for headers in (
        unsigned(body, content_type),
        signed_headers(body, content_type, secret="not-the-secret"),
    ):
        response = await slack.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 401
    assert errors_in(caplog) == []
    assert fake_slack.calls == []


@pytest.mark.parametrize("stamp", ["abc", "", "1e3", "-5", "99999999999999999999999", "١٢٣"])
async def test_a_timestamp_that_is_not_a_number_is_refused_with_401(
    slack, fake_slack, caplog, acme, stamp
):
    body = command_body("help", response_url=fake_slack.response_url())
    # Header values go out as bytes: httpx sends str headers as ASCII only.
    headers = {**signed_headers(body, FORM), "X-Slack-Request-Timestamp": stamp.encode()}
    response = await slack.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert errors_in(caplog) == []


async def test_a_bad_signature_logs_one_short_line_without_the_body(slack, caplog, acme):
    secret = "SECRET-MARKER-" + "x" * 200_000
    body = urlencode({"payload": json.dumps({"type": "block_actions", "note": secret})})
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        response = await slack.post(body, FORM, secret="not-the-secret")
        assert response.status_code == 401
    assert "SECRET-MARKER" not in caplog.text
    refusals = [r for r in caplog.records if "signature" in r.getMessage()]
    assert len(refusals) == 3
    assert all(len(r.getMessage()) < 200 for r in refusals)


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_a_signed_body_that_is_no_payload_is_refused_with_400(
    slack, fake_slack, caplog, acme, body, content_type
):
    response = await slack.post(body, content_type)
    assert response.status_code == 400
    assert errors_in(caplog) == []
    assert fake_slack.calls == []


def button_click(action: object, response_url: str = "http://127.0.0.1:9/none") -> dict:
    return {
        "type": "block_actions",
        "user": user(USER),
        "team": team(),
        "api_app_id": "A0001",
        "trigger_id": "trigger.odd",
        "response_url": response_url,
        "actions": action,
    }


def pick(value: str) -> list[dict]:
    return [{"action_id": "pick_touchpoint:0", "block_id": "b", "type": "button", "value": value}]


ILL_TYPED = {
    "actions as a string": button_click("pick_touchpoint:0"),
    "actions empty": button_click([]),
    "an action as a number": button_click([7]),
    "action_id as a number": button_click([{"action_id": 5, "value": "x"}]),
    "user as a number": {**button_click(pick("{}")), "user": 42},
    "user id as a list": {**button_click(pick("{}")), "user": {"id": ["U0001"]}},
    "team as a list": {**button_click(pick("{}")), "team": ["T0001"]},
    "enterprise as a number": {**button_click(pick("{}")), "enterprise": 3},
    "authorizations as a string": {**button_click(pick("{}")), "authorizations": "all"},
    "response_urls as a dict": {**button_click(pick("{}")), "response_urls": {"a": 1}},
    "view as a string": {**button_click(pick("{}")), "view": "V1"},
    "channel as a number": {**button_click(pick("{}")), "channel": 9},
    "type as a number": {**button_click(pick("{}")), "type": 1},
    "unknown type": {**button_click(pick("{}")), "type": "workflow_step_edit"},
    "a NUL in a user name": {**button_click(pick("{}")), "user": {"id": USER, "name": "d\u0000"}},
    "a NUL in an action id": button_click([{"action_id": "pick_touchpoint:\u0000"}]),
    "a lone surrogate in a team id": {**button_click(pick("{}")), "team": {"id": "T\ud800"}},
}


@pytest.mark.parametrize("payload", ILL_TYPED.values(), ids=ILL_TYPED.keys())
async def test_signed_ill_typed_interactivity_is_acknowledged_and_ignored(
    slack, fake_slack, db, caplog, on_support, payload
):
    response = await slack.settled(slack.interaction(payload))
    assert response.status_code == 200
    assert errors_in(caplog) == []
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert fake_slack.calls == []
    assert await stored_observations(db) == 0


def submission(on_support, state: object) -> dict:
    payload = view_submission(
        {"blocks": [], "callback_id": "log_observation", "type": "modal"}, {}, view_id="V0ODD"
    )
    payload["view"]["state"] = state
    return payload


@pytest.mark.parametrize(
    "state",
    [
        {"values": None},
        None,
        "state",
        {"values": []},
        {"values": {"text": "typed"}},
        {"values": {"text": {"log_text": {"type": "plain_text_input", "value": 3000}}}},
        {"values": {"touchpoint": {"log_touchpoint": {"selected_option": {"value": 7}}}}},
    ],
)
async def test_a_signed_submission_with_ill_typed_state_is_acknowledged_and_ignored(
    slack, fake_slack, db, caplog, on_support, state
):
    response = await slack.settled(slack.interaction(submission(on_support, state)))
    assert response.status_code == 200
    assert errors_in(caplog) == []
    assert fake_slack.calls == []
    assert await stored_observations(db) == 0


@pytest.mark.parametrize(
    "pending",
    [
        {"touchpoint": 12345, "text": "Costs", "key": "k1"},
        {"touchpoint": "checkout", "text": "Costs", "key": "k1"},
        {"touchpoint": "00000000-0000-0000-0000-000000000001", "text": 5, "key": "k1"},
        {"touchpoint": "00000000-0000-0000-0000-000000000001", "text": "Costs", "key": 77},
        {"touchpoint": "00000000-0000-0000-0000-000000000001", "text": "x", "kind": ["insight"]},
        {"touchpoint": "00000000-0000-0000-0000-000000000001", "text": "x", "key": "k\u0000"},
        ["not", "an", "object"],
        12345,
    ],
)
async def test_a_button_value_of_the_wrong_types_never_reaches_sql(
    slack, fake_slack, db, caplog, on_support, pending
):
    payload = button_click(pick(json.dumps(pending)), slack.response_url)
    response = await slack.settled(slack.interaction(payload))
    assert response.status_code == 200
    assert errors_in(caplog) == []
    [reply] = fake_slack.calls_to("response_url")
    assert "That button is stale" in json.dumps(reply.params)
    assert await stored_observations(db) == 0


async def test_an_event_no_listener_handles_is_acknowledged_not_refused(slack, caplog, acme):
    response = await slack.settled(
        slack.event({"type": "member_joined_channel", "user": USER, "channel": "C1"})
    )
    assert response.status_code == 200
    assert errors_in(caplog) == []


async def test_a_fresh_signed_request_still_gets_through(slack, fake_slack, acme):
    body = command_body("help", response_url=fake_slack.response_url())
    headers = signed_headers(body, FORM, timestamp=int(time.time()), secret=SIGNING_SECRET)
    response = await slack.settled(slack.http.post("/slack/events", content=body, headers=headers))
    assert response.status_code == 200
    assert len(fake_slack.calls_to("response_url")) == 1


async def test_a_signed_body_that_is_not_utf8_is_refused_with_400(slack, caplog, acme):
    body = b"payload=%7B%7D\xff\xfe"
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    response = await slack.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 400
    assert errors_in(caplog) == []


@pytest.mark.parametrize("text", ["log product-page Reviews are hidden", "log"])
async def test_a_trigger_id_postgresql_cannot_store_is_ignored_with_a_warning(
    slack, fake_slack, db, caplog, on_support, text
):
    response = await slack.settled(slack.command(text, trigger_id="trigger\u0000one"))
    assert response.status_code == 200
    assert errors_in(caplog) == []
    assert fake_slack.calls == []
    assert await stored_observations(db) == 0


async def test_slacks_unsigned_certificate_check_is_answered_and_does_nothing(
    slack, fake_slack, caplog, acme
):
    body = "ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO"
    response = await slack.http.post("/slack/events", content=body, headers=unsigned(body, FORM))
    assert response.status_code == 200
    assert errors_in(caplog) == []
    assert fake_slack.calls == []
    smuggled = "ssl_check=1&" + command_body("help", response_url=slack.response_url)
    response = await slack.http.post(
        "/slack/events", content=smuggled, headers=unsigned(smuggled, FORM)
    )
    assert response.status_code == 401
