"""Hostile values in GraphQL inputs get a payload error naming the field (or a query error),
never "Unexpected error.", and write nothing.

`ingestEvents` is left to the ingestion tests: its events are refused one by one, not as a
payload error.
"""

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.validation import unstorable_reason
from tests.support.mutation_inputs import (
    VALID_INPUTS,
    holding,
    mutation_document,
    stored_state,
    text_fields,
)

UNEXPECTED = "Unexpected error."
TEXT_FIELDS = [f for f in text_fields() if f.mutation != "ingestEvents"]


async def payload_errors(gql, field, value) -> list[dict]:
    """The payload errors of `field`'s mutation with `value` in it; fails on anything else."""
    body = await gql.run(mutation_document(field.mutation), {"input": value})
    assert "errors" not in body, f"{field}: {body['errors']}"
    return body["data"][field.mutation]["errors"]


async def refusals(gql, db, world, text: str) -> list[str]:
    """Every text field that does not refuse `text` with one payload error naming it and
    leaving the database as it was."""
    wrong = []
    for field in TEXT_FIELDS:
        before = await stored_state(db)
        errors = await payload_errors(gql, field, field.spoiled(world, holding(field, text)))
        if [(e["field"], e["code"]) for e in errors] != [(field.error_field, "INVALID")]:
            wrong.append(f"{field}: {errors}")
        elif await stored_state(db) != before:
            wrong.append(f"{field}: wrote something")
    return wrong


async def test_every_mutation_with_text_has_a_valid_input(gql, world):
    """The hostile tests spoil one field of these; they must be valid to begin with."""
    assert {f.mutation for f in TEXT_FIELDS} == set(VALID_INPUTS)
    for field in TEXT_FIELDS:
        assert await payload_errors(gql, field, VALID_INPUTS[field.mutation](world)) == []


async def test_a_nul_character_in_any_text_field_is_refused_naming_the_field(gql, db, world):
    """Issue 10: `createTeam(input: {name: "a\\u0000b"})` and 28 other fields answered
    "Unexpected error." (event names and persona attributes still did)."""
    assert await refusals(gql, db, world, "a\x00b") == []


async def test_a_lone_surrogate_in_any_text_field_is_refused_naming_the_field(gql, db, world):
    assert await refusals(gql, db, world, "a\ud800b") == []


async def test_a_300_character_time_zone_is_refused_as_too_long(gql, world):
    """Issue 10: a 300-character time zone reached ZoneInfo, which raised OSError (with the
    tzdata package installed); it is refused before that."""
    for name, input in (
        ("createJourney", {"name": "Long zone", "timezone": "Europe/" + "x" * 300}),
        ("updateJourney", {"id": world.journey, "timezone": "x" * 300}),
    ):
        payload = await gql.mutate(name, input)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("timezone", "TOO_LONG")]
        assert "IANA name" in payload["errors"][0]["message"]


BACKTEST = """query($rule: ID!, $from: Date!, $to: Date!) {
  backtestAlertRule(ruleId: $rule, from: $from, to: $to) { events { at } errors { field code } }
}"""


async def test_a_backtest_in_year_one_is_refused_with_the_range_it_takes(gql, world):
    """Issue 10: `backtestAlertRule(from: "0001-01-01", to: "0001-06-01")` overflowed."""
    variables = {"rule": world.alert_rule, "from": "0001-01-01", "to": "0001-06-01"}
    result = (await gql.data(BACKTEST, variables))["backtestAlertRule"]
    assert result == {"events": [], "errors": [{"field": "from", "code": "OUT_OF_RANGE"}]}


STAGE_METRICS = """query($id: ID!, $asOf: DateTime, $from: Date!, $to: Date!) {
  journey(id: $id) { stageMetrics(from: $from, to: $to, asOf: $asOf) { stages { entered } } }
}"""


async def test_stage_metrics_as_of_year_9999_is_refused_with_the_range_it_takes(gql, world):
    """Issue 10: `stageMetrics(asOf: "9999-12-31T23:59:59")` overflowed."""
    for variables, field in (
        ({"asOf": "9999-12-31T23:59:59", "from": "2026-01-01", "to": "2026-02-01"}, "asOf"),
        ({"asOf": None, "from": "0001-01-01", "to": "0001-02-01"}, "from"),
    ):
        body = await gql.run(STAGE_METRICS, {"id": world.journey, **variables})
        [error] = body["errors"]
        assert error["extensions"] == {"code": "OUT_OF_RANGE", "field": field}
        assert "between 1900-01-01 and 9000-01-01" in error["message"]


async def test_a_forged_cursor_from_year_one_is_refused(gql, world):
    """A cursor is base64 the client can forge; a time PostgreSQL's driver cannot convert (year
    1 at +05:00 is before year 1 in UTC) is refused like any cursor it did not give out."""
    forged = base64.urlsafe_b64encode(
        b"0001-01-01T00:00:00+05:00|6e9837f9-003b-4160-a012-c94b4a6be8ef"
    ).decode()
    for query in (
        "query($after: String) { observations(after: $after) { edges { cursor } } }",
        "query($after: String) { alerts(after: $after) { edges { cursor } } }",
    ):
        body = await gql.run(query, {"after": forged})
        [error] = body["errors"]
        assert error["extensions"]["field"] == "after"
        assert "not one this API gave out" in error["message"]


async def test_observation_filter_times_outside_the_calendar_are_refused(gql, world):
    query = "query($f: ObservationFilter) { observations(filter: $f) { edges { cursor } } }"
    for name, value in (("since", "9999-12-31T23:59:59-14:00"), ("until", "0001-01-01T00:00:00")):
        body = await gql.run(query, {"f": {name: value}})
        [error] = body["errors"]
        assert error["extensions"] == {"code": "OUT_OF_RANGE", "field": name}


async def test_persona_attributes_nested_too_deeply_or_not_finite_are_refused(gql, world):
    deep: dict = {}
    inner = deep
    for _ in range(30):
        inner["a"] = {}
        inner = inner["a"]
    for attributes, code in ((deep, "OUT_OF_RANGE"), ({"age": float("nan")}, "INVALID")):
        body = await gql.http.post(
            "/graphql",
            # json.dumps writes NaN as JSON's common extension does; Python's reader takes it.
            content=json.dumps(
                {
                    "query": mutation_document("createPersona"),
                    "variables": {"input": {"name": "Deep", "attributes": attributes}},
                }
            ),
            headers={"Authorization": f"Bearer {gql.token}", "Content-Type": "application/json"},
        )
        errors = body.json()["data"]["createPersona"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("attributes", code)]


# What people paste and attackers send: NUL, lone surrogates, bidirectional overrides and other
# control characters, Slack's mention syntax, long runs, and any mix of them.
PIECES = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "\udfff",
        "\u202e",
        "\u200f",
        "\x07",
        "\x1b[2J",
        "\r\n",
        "<!channel>",
        "<@U024BE7LH>",
        "&lt;",
        "Ω≈ç√",
        "🙂",
        " ",
        "a",
    ]
)
HOSTILE_TEXT = st.one_of(
    st.lists(PIECES, max_size=8).map("".join),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=40),
    st.integers(min_value=1, max_value=60_000).map(lambda n: "x" * n),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(TEXT_FIELDS), text=HOSTILE_TEXT)
async def test_hostile_text_in_any_field_is_stored_or_refused_by_name(gql, db, world, field, text):
    before = await stored_state(db)
    errors = await payload_errors(gql, field, field.spoiled(world, holding(field, text)))
    assert UNEXPECTED not in str(errors)
    # What the server reads: JSON joins a high and a low surrogate sent in a row into one
    # character.
    if unstorable_reason(json.loads(json.dumps(text))) is not None:
        assert [e["field"] for e in errors] == [field.error_field], errors
    if errors:
        assert await stored_state(db) == before, f"{field} was refused but wrote something"


async def test_a_nul_in_an_id_or_a_query_argument_is_a_clear_error(gql, world):
    body = await gql.run("query($id: ID!) { journey(id: $id) { id } }", {"id": "a\x00\ud800"})
    assert "is not a Journey id" in body["errors"][0]["message"]
    payload = await gql.mutate("deleteTeam", {"id": "VGVhbTo\x00"})
    assert [e["field"] for e in payload["errors"]] == ["id"]
