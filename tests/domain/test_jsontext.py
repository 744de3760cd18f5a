"""JSON on the ingest path: whatever valid JSON a pipeline sends is taken, however big its
numbers, and what goes to jsonb is always valid for it."""

import pytest

from domain.event import jsontext

pytestmark = pytest.mark.pure


def test_ordinary_json_round_trips():
    value = {"plan": "pro", "seats": 3, "price": 9.5, "tags": ["a", "é"], "ok": True, "no": None}
    assert jsontext.loads(jsontext.dumps(value).encode()) == value
    assert jsontext.size(value) == len(jsontext.dumps(value).encode())


def test_integers_beyond_64_bits_are_kept_exactly():
    body = b'{"orderId": 123456789012345678901234567890}'
    value = jsontext.loads(body)
    assert value == {"orderId": 123456789012345678901234567890}
    assert jsontext.dumps(value) == '{"orderId":123456789012345678901234567890}'
    assert jsontext.size(value) == len(body) - 1  # without the space after the colon


def test_nan_and_infinity_become_null_for_jsonb():
    value = jsontext.loads(b'{"score": NaN, "big": 1e999, "n": 123456789012345678901234567890}')
    assert jsontext.dumps(value) == '{"score":null,"big":null,"n":123456789012345678901234567890}'


def test_what_is_not_json_is_a_value_error():
    with pytest.raises(ValueError):
        jsontext.loads(b'{"batch": [')


@pytest.mark.parametrize("filler", [b"", b'"n": NaN, '], ids=["orjson", "standard library"])
def test_nesting_past_the_parsers_bound_is_too_deep_whichever_parser_reads_it(filler):
    body = b"{" + filler + b'"p": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    with pytest.raises(jsontext.TooDeep, match="1024 levels"):
        jsontext.loads(body)


def test_an_integer_too_long_to_read_is_kept_for_its_event_to_refuse():
    value = jsontext.loads(b'{"ok": 1, "n": ' + b"7" * 5_000 + b"}")
    assert value["ok"] == 1
    assert isinstance(value["n"], jsontext.TooLongNumber) and value["n"].digits == 5_000
