"""Hostile payloads, signed as Slack signs them, thrown at `/slack/events`: slash commands,
button clicks, modal submissions, type-ahead queries, message shortcuts and events whose
fields are sometimes what Slack sends and sometimes anything at all (wrong types, NUL, lone
surrogates, huge numbers, nesting). Whatever arrives: never a 5xx, never an error in the log
(a listener that crashed after its ack), and no observation stored (every text generated here
is one PostgreSQL cannot store, or of the wrong type)."""

import json
import uuid
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.alert_message import AlertButton, mute_value
from bot.ids import ActionId, BlockId, CallbackId
from domain.observation.models import Observation
from tests.support.factories import make_alert, make_alert_rule
from tests.support.logs import errors_logged
from tests.support.slack_requests import TEAM_ID, payload_body, team, user

EXAMPLES = 40  # per payload family: five families, 200 examples in about 5 s
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FORM = "application/x-www-form-urlencoded"

UNSTORABLE = st.sampled_from(["\x00", "\ud800", "\udfff", "a\x00b"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
)
ANYTHING = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def hostile_text(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Text holding at least one character PostgreSQL cannot store."""
    alphabet = st.characters(exclude_categories=() if surrogates else ("Cs",))
    bad = UNSTORABLE if surrogates else st.just("\x00")
    return st.tuples(st.text(alphabet, max_size=20), bad, st.text(alphabet, max_size=20)).map(
        "".join
    )


def maybe(good: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly what Slack would send; now and then anything at all (so that most payloads get
    past the door with a few odd values, and some do not)."""
    return st.integers(0, 23).flatmap(
        lambda n: good if n > 1 else (ANYTHING if n == 0 else hostile_text())
    )


def fields(**shapes: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """A dict of these fields, each one perhaps left out."""
    return st.fixed_dictionaries({}, optional=shapes)


@pytest.fixture
async def ids(db, on_support):
    """Real ids to sometimes aim at: touchpoints, stages, journeys and an open alert."""
    async with db.begin() as session:
        rule = await make_alert_rule(session, on_support.online, on_support.stages[1])
        alert = await make_alert(session, rule, on_support.stages[1])
    return [
        str(on_support.checkout.id),
        str(on_support.product_page.id),
        str(on_support.stages[2].id),
        str(on_support.online.id),
        str(alert.id),
        mute_value(alert.id, 24),
        str(uuid.uuid4()),
    ]


def values(ids: list[str]) -> st.SearchStrategy:
    pending = fields(
        touchpoint=maybe(st.sampled_from(ids)),
        text=maybe(hostile_text()),
        emotion=maybe(st.sampled_from(["frustration", "delight"])),
        kind=maybe(st.sampled_from(["insight", "pain_point"])),
        key=maybe(st.text(max_size=10)),
    ).map(json.dumps)
    return maybe(st.sampled_from(ids) | pending | hostile_text())


ACTION_IDS = [
    f"{ActionId.PICK_TOUCHPOINT}:0",
    f"{ActionId.PICK_STAGE}:0",
    ActionId.OPEN_LOG_MODAL,
    ActionId.OPEN_MAP,
    ActionId.JOURNEY,
    *[button.value for button in AlertButton],
]
BLOCK_IDS = [BlockId.JOURNEY, f"{BlockId.STAGE}.0", f"{BlockId.TOUCHPOINT}.1", BlockId.KIND]
BLOCK_IDS += [BlockId.EMOTION, BlockId.SENTIMENT, BlockId.TEXT, BlockId.TEAM]


def view(ids: list[str]) -> st.SearchStrategy:
    chosen = st.fixed_dictionaries({"value": values(ids)})
    entry = fields(
        type=maybe(st.sampled_from(["plain_text_input", "external_select", "static_select"])),
        value=maybe(hostile_text()),
        selected_option=maybe(chosen),
    )
    state = fields(
        values=maybe(
            st.dictionaries(
                st.sampled_from(BLOCK_IDS),
                maybe(st.dictionaries(st.sampled_from(["a", ActionId.TEXT]), maybe(entry))),
                max_size=4,
            )
        )
    )
    element = fields(type=maybe(st.just("external_select")), initial_option=maybe(chosen))
    blocks = st.lists(
        maybe(fields(block_id=maybe(st.sampled_from(BLOCK_IDS)), element=maybe(element))),
        max_size=3,
    )
    return st.fixed_dictionaries(
        {
            "id": maybe(st.just("V0FUZZ")),
            "callback_id": maybe(st.just(CallbackId.LOG_MODAL)),
            "type": maybe(st.just("modal")),
            "state": maybe(state),
        },
        optional={
            "private_metadata": maybe(
                st.just('{"channel_id": "C0SUPPORT1"}') | st.text(max_size=20)
            ),
            "hash": maybe(st.just("h1")),
            "title": maybe(st.just({"type": "plain_text", "text": "Log observation"})),
            "blocks": maybe(blocks),
        },
    )


def envelope(
    kind: str, response_url: str, what: dict[str, st.SearchStrategy], **shapes: st.SearchStrategy
) -> st.SearchStrategy:
    """A payload of `kind`: `what` it is about (always there), `shapes` perhaps."""
    optional = {
        "user": maybe(st.just(user())),
        "api_app_id": maybe(st.just("A0001")),
        "trigger_id": maybe(st.just("trigger.fuzz")),
        "response_url": st.just(response_url),
        "authorizations": maybe(st.just([{"team_id": TEAM_ID, "is_bot": True}])),
        "enterprise": maybe(st.none() | st.just({"id": "E0001"})),
        "channel": maybe(st.just({"id": "C0SUPPORT1", "name": "support"})),
        **shapes,
    }
    return st.fixed_dictionaries(
        {"type": maybe(st.just(kind)), "team": maybe(st.just(team())), **what},
        optional={key: shape for key, shape in optional.items() if key not in what},
    )


async def observations(db) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(Observation)) or 0


async def survives(slack, db, caplog, body: str, content_type: str) -> None:
    """Send one signed request and check what it left behind."""
    seen = len(caplog.records)
    response = await slack.settled(slack.post(body, content_type))
    logged = [r.getMessage() for r in caplog.records[seen:]]
    ignored = any("acknowledged and ignored" in line for line in logged)
    event(f"HTTP {response.status_code}, " + ("ignored at the door" if ignored else "passed on"))
    assert response.status_code < 500, response.text
    errors = errors_logged(caplog.records[seen:])
    assert errors == [], [r.getMessage() for r in errors]
    assert await observations(db) == 0


# A form carries UTF-8: no lone surrogates.
FORM_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
COMMAND_WORDS = ["log", "log product-page", "log checkout", 'log "product page"', "map"]
COMMAND_WORDS += ["stage", "team", "subscribe", "metrics", "alerts", "alerts add", "help", ""]


@FUZZ
@given(data=st.data())
async def test_fuzzed_slash_commands(slack, fake_slack, db, caplog, ids, data):
    text = data.draw(
        st.tuples(st.sampled_from(COMMAND_WORDS), hostile_text(surrogates=False)).map(" ".join)
    )
    form = data.draw(
        st.fixed_dictionaries(
            {
                "command": st.just("/journey"),
                "text": st.just(text),
                "trigger_id": st.one_of(FORM_TEXT, FORM_TEXT, hostile_text(surrogates=False)),
                "channel_id": st.sampled_from(["C0SUPPORT1", "D0DIRECT1", ""]),
                "user_id": st.sampled_from(["U0001", "U0001", "", "U\x00"]),
                "team_id": st.sampled_from([TEAM_ID, TEAM_ID, "", "T0OTHER"]),
                "response_url": st.just(slack.response_url),
            },
            optional={
                "user_name": FORM_TEXT | hostile_text(surrogates=False),
                "enterprise_id": FORM_TEXT,
            },
        )
    )
    for left_out in data.draw(st.lists(st.sampled_from(sorted(form)), max_size=1)):
        del form[left_out]
    await survives(slack, db, caplog, urlencode(form), FORM)


@FUZZ
@given(data=st.data())
async def test_fuzzed_button_clicks_and_menus(slack, fake_slack, db, caplog, ids, data):
    action = st.fixed_dictionaries(
        {"action_id": maybe(st.sampled_from(ACTION_IDS))},
        optional={
            "block_id": maybe(st.just("b1")),
            "type": maybe(st.sampled_from(["button", "static_select"])),
            "value": values(ids),
            "selected_option": maybe(st.fixed_dictionaries({"value": values(ids)})),
        },
    )
    payload = data.draw(
        envelope(
            "block_actions",
            slack.response_url,
            {"actions": maybe(st.lists(maybe(action), min_size=1, max_size=2))},
            view=maybe(view(ids)),
            container=maybe(st.just({"type": "message", "channel_id": "C0SUPPORT1"})),
        )
    )
    await survives(slack, db, caplog, payload_body(payload), FORM)


@FUZZ
@given(data=st.data())
async def test_fuzzed_modal_submissions(slack, fake_slack, db, caplog, ids, data):
    payload = data.draw(envelope("view_submission", slack.response_url, {"view": maybe(view(ids))}))
    await survives(slack, db, caplog, payload_body(payload), FORM)


@FUZZ
@given(data=st.data())
async def test_fuzzed_type_ahead_and_message_shortcuts(slack, fake_slack, db, caplog, ids, data):
    suggestion = envelope(
        "block_suggestion",
        slack.response_url,
        {
            "action_id": maybe(
                st.sampled_from([ActionId.JOURNEY, ActionId.STAGE, ActionId.TOUCHPOINT])
            ),
            "value": maybe(hostile_text()),
        },
        view=maybe(view(ids)),
    )
    shortcut = envelope(
        "message_action",
        slack.response_url,
        {
            "callback_id": maybe(st.just(CallbackId.LOG_SHORTCUT)),
            "trigger_id": maybe(st.just("trigger.fuzz")),
            "channel": maybe(st.just({"id": "C0SUPPORT1", "name": "support"})),
            "message": maybe(fields(text=maybe(hostile_text()), ts=maybe(st.just("1700000000.1")))),
        },
        message_ts=maybe(st.just("1700000000.1")),
    )
    payload = data.draw(suggestion | shortcut)
    await survives(slack, db, caplog, payload_body(payload), FORM)


@FUZZ
@given(data=st.data())
async def test_fuzzed_events(slack, fake_slack, db, caplog, ids, data):
    happening = st.fixed_dictionaries(
        {
            "type": maybe(
                st.sampled_from(
                    [
                        "app_home_opened",
                        "app_uninstalled",
                        "tokens_revoked",
                        "member_joined_channel",
                    ]
                )
            )
        },
        optional={
            "user": maybe(st.just("U0001")),
            "tab": maybe(st.sampled_from(["home", "messages"])),
            "tokens": maybe(fields(bot=maybe(st.just(["UBOT"])), oauth=maybe(st.just(["U0001"])))),
            "channel": maybe(st.just("C0SUPPORT1")),
            "event_ts": maybe(st.just("1700000009.000100")),
        },
    )
    body = data.draw(
        st.fixed_dictionaries(
            {
                "type": maybe(st.sampled_from(["event_callback", "url_verification"])),
                "event": maybe(happening),
            },
            optional={
                "team_id": maybe(st.just(TEAM_ID)),
                "api_app_id": maybe(st.just("A0001")),
                "event_id": maybe(st.just("Ev0FUZZ")),
                "event_time": maybe(st.integers(0, 2**40)),
                "authorizations": maybe(st.just([{"team_id": TEAM_ID, "user_id": "UBOT"}])),
                "challenge": maybe(st.text(max_size=10)),
            },
        )
    )
    await survives(slack, db, caplog, json.dumps(body), "application/json")
