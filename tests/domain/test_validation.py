"""The shared input checks of domain/validation.py."""

import pytest

from domain.errors import ErrorCode, ValidationError
from domain.validation import JSON_DEPTH_MAX, in_range, slack_user_id, storable_json, time_zone

pytestmark = pytest.mark.pure


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_storable_json_keeps_what_postgresql_can_store():
    value = {"age": "30-45", "tags": ["a", {"b": [1, 2.5, None, True]}], "n": 10**30}
    assert storable_json(value, field="attributes", label="The attributes") is value
    assert storable_json(nested(JSON_DEPTH_MAX), field="attributes", label="The attributes")


@pytest.mark.parametrize(
    ("value", "code", "says"),
    [
        ({"a\x00": 1}, ErrorCode.INVALID, "A key in the attributes contains a NUL"),
        ({"a": ["x", "\ud800"]}, ErrorCode.INVALID, "A value in the attributes contains a lone"),
        ({"a": float("nan")}, ErrorCode.INVALID, "which JSON cannot carry"),
        ({"a": [float("-inf")]}, ErrorCode.INVALID, "which JSON cannot carry"),
        (nested(JSON_DEPTH_MAX + 1), ErrorCode.OUT_OF_RANGE, "nest deeper than 20 levels"),
        (nested(50_000), ErrorCode.OUT_OF_RANGE, "nest deeper"),  # no recursion to run out of
    ],
)
def test_storable_json_refuses_what_it_cannot_store(value, code, says):
    with pytest.raises(ValidationError) as refused:
        storable_json(value, field="attributes", label="The attributes")
    assert (refused.value.field, refused.value.code) == ("attributes", code)
    assert says in refused.value.message


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("x" * 300, ErrorCode.TOO_LONG),
        ("Europe/Nowhere", ErrorCode.INVALID),
        ("UTC\x00", ErrorCode.INVALID),
        ("\ud800", ErrorCode.INVALID),
        (".", ErrorCode.INVALID),
        ("../../etc/passwd", ErrorCode.INVALID),
    ],
)
def test_time_zone_refuses_what_is_not_an_iana_name(name, code):
    with pytest.raises(ValidationError) as refused:
        time_zone(name)
    assert (refused.value.field, refused.value.code) == ("timezone", code)


def test_time_zone_trims_and_defaults_to_utc():
    assert (time_zone(" Europe/Paris "), time_zone(None), time_zone("")) == (
        "Europe/Paris",
        "UTC",
        "UTC",
    )


def test_slack_user_id_is_trimmed():
    assert slack_user_id(" U024BE7LH\n", field="assignee") == "U024BE7LH"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("U024BE7LH\n<!channel>", ErrorCode.INVALID),
        ("dana@example.com", ErrorCode.INVALID),
        ("U0\x00", ErrorCode.INVALID),
        ("  ", ErrorCode.REQUIRED),
    ],
)
def test_slack_user_id_refuses_anything_but_a_whole_id(value, code):
    with pytest.raises(ValidationError) as refused:
        slack_user_id(value, field="assignee")
    assert (refused.value.field, refused.value.code) == ("assignee", code)


def test_in_range_refuses_a_missing_number_as_required():
    with pytest.raises(ValidationError) as refused:
        in_range(None, field="recentDays", label="The recent window (days)", low=1, high=30)
    assert (refused.value.field, refused.value.code) == ("recentDays", ErrorCode.REQUIRED)
    assert refused.value.message == "The recent window (days) needs a value between 1 and 30."
