"""A batch decoded straight from its bytes (domain.event.message.decode_batch) gives every event
exactly the answer the general reading (parsed JSON, then `read`) gives it: the same message,
or the same rejection with the same sentence; only the stored JSON text may be spelled
differently (jsonb reads both the same)."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.event import jsontext
from domain.event.message import (
    EVENT_BYTES_MAX,
    Decoded,
    Ignored,
    Rejected,
    decode_batch,
    message_id_of,
    read,
)

pytestmark = pytest.mark.pure

RECEIVED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

texts = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\x00", " ", "é"]))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e15, 1e-7, 0.1, -0.0])
    | texts
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=12,
)
objects = st.dictionaries(
    st.sampled_from(["persona", "personaId", "plan", "traits", "p\u0065rsona"]) | texts,
    values,
    max_size=4,
)
identifiers = (
    st.sampled_from(["m-1", " m-2 ", 7])
    | st.sampled_from([None, "", "  ", "x" * 201, True, 1.5, []])
    | texts
)
events = (
    st.fixed_dictionaries(
        {
            "messageId": identifiers,
            "userId": identifiers,
            "type": st.sampled_from(
                ["track", "identify", "track", "identify", "page", "group", "", 5]
            ),
        },
        optional={
            "anonymousId": identifiers,
            "event": st.sampled_from([None, "", "Signed Up", " Paid ", "x" * 201, 3]),
            "timestamp": st.sampled_from(
                [
                    None,
                    "",
                    "2026-11-01T10:00:00Z",
                    "2026-11-01 10:00:00",
                    "yesterday",
                    "2090-01-01T00:00:00Z",
                    "1500-01-01T00:00:00Z",
                    5,
                ]
            ),
            "properties": objects | values,
            "traits": objects | values,
            "context": st.fixed_dictionaries({}, optional={"traits": objects | values}) | values,
            "integrations": values,
        },
    )
    | values
)


def _outcome(event: Any) -> tuple:
    try:
        message = read(event, received_at=RECEIVED_AT)
    except Rejected as rejected:
        return ("rejected", rejected.reason, rejected.message, message_id_of(event))
    except Ignored as ignored:
        return ("ignored", ignored.message, message_id_of(event))
    return ("stored", message._replace(data=json.loads(message.data)))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(events, min_size=1, max_size=4), ascii_only=st.booleans())
def test_each_event_is_answered_as_the_general_reading_answers_it(batch, ascii_only):
    body = json.dumps({"batch": batch}, ensure_ascii=ascii_only).encode(errors="surrogatepass")
    decoded = decode_batch(body)
    if decoded is None:
        return  # read the general way whole
    plain = jsontext.loads(body)["batch"]
    assert [_outcome(event) for event in decoded] == [_outcome(event) for event in plain]


def test_the_usual_batch_is_decoded_and_its_properties_stored_as_they_came():
    body = (
        b'{"batch": [{"type": "track", "messageId": "m-1", "userId": "u-1", "event": "Paid",'
        b' "properties": {"plan" : "pro", "total": 1.10}}]}'
    )
    [event] = decode_batch(body) or []
    assert event.fields is not None
    assert read(event, received_at=RECEIVED_AT).data == '{"plan" : "pro", "total": 1.10}'


@pytest.mark.parametrize(
    "body",
    [
        b'{"events": []}',
        b'{"batch": [{"messageId": "\\ud800"}]}',  # a lone surrogate
        b'{"batch": [{"n": NaN}]}',
        b'{"batch": [{"n": 123456789012345678901234}]}',
        b'{"batch": [{"name": "\xff"}]}',  # not UTF-8
        b'{"batch": [' + b"[" * 2000 + b"]" * 2000 + b"]}",
    ],
)
def test_what_only_the_general_reading_answers_exactly_leaves_the_body_to_it(body):
    assert decode_batch(body) is None


@pytest.mark.parametrize(
    "event",
    [
        b'{"messageId": "m", "userId": "u", "event": "E", "properties": {"a": "\\u0000"}}',
        b'{"messageId": "m", "userId": "u", "event": "E", "properties": '
        + b"[" * 40
        + b"]" * 40
        + b"}",
        b'{"messageId": "m", "userId": "u", "event": "E", "properties": {"a": "'
        + b"x" * EVENT_BYTES_MAX
        + b'"}}',
        b'{"messageId": ["m"], "userId": "u", "event": "E"}',
    ],
)
def test_a_doubtful_event_is_read_the_general_way_alone(event):
    body = b'{"batch": [' + event + b', {"messageId": "n", "userId": "u", "event": "E"}]}'
    doubtful, usual = decode_batch(body) or []
    assert isinstance(doubtful, Decoded) and doubtful.fields is None
    assert usual.fields is not None
    assert _outcome(doubtful) == _outcome(jsontext.loads(event))
