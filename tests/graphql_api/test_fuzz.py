"""Operations generated from schema.graphql (hypothesis-graphql), with any argument values the
schema allows: NUL in strings, dates from year 1 to 9999, deep JSON, ids of real rows and
garbage. Whatever they ask, the answer is well-formed GraphQL, never a 5xx, never "Unexpected
error." and never a logged error; an operation that changed nothing it reports as done wrote
nothing.

`ingestEvents` is left out: the ingestion tests fuzz events (they are refused one by one).
"""

import logging
from dataclasses import replace
from datetime import UTC, date, timedelta, timezone

import graphql
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, strategies

from graphql_api.schema import SCHEMA_FILE
from tests.support.logs import errors_logged
from tests.support.mutation_inputs import World, stored_state

SDL = SCHEMA_FILE.read_text()
MUTATIONS = [
    line.split("(")[0].strip()
    for line in SDL.split("type Mutation {")[1].split("}")[0].splitlines()
    if "(input:" in line
]
FUZZED_MUTATIONS = [name for name in MUTATIONS if name != "ingestEvents"]

OFFSETS = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60)
)
DATES = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
DATETIMES = st.datetimes(timezones=st.none() | st.just(UTC) | OFFSETS)
JSON_NAMES = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,8}", fullmatch=True)
JSON_VALUES = st.recursive(
    st.one_of(
        st.just(nodes.Null),
        st.booleans().map(nodes.Boolean),
        st.integers().map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.text(max_size=20).map(nodes.String),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(nodes.List),
        st.dictionaries(JSON_NAMES, inner, max_size=4).map(
            lambda fields: nodes.Object(
                [
                    graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
                    for k, v in fields.items()
                ]
            )
        ),
    ),
    max_leaves=40,
)


def scalars(world: World) -> dict:
    real_ids = [
        world.team,
        world.persona,
        world.journey,
        *world.stages,
        world.touchpoint,
        world.observation,
        world.action,
        world.alert_rule,
        world.alert,
    ]
    return {
        # Mostly ids of real rows (of some type), so that operations get past id decoding.
        "ID": st.integers(0, 9)
        .flatmap(lambda n: st.text(max_size=30) if n == 0 else st.sampled_from(real_ids))
        .map(nodes.String),
        "Date": DATES.map(lambda d: nodes.String(d.isoformat())),
        "DateTime": DATETIMES.map(lambda t: nodes.String(t.isoformat())),
        "JSON": JSON_VALUES,
    }


def unexpected_failures(response, caplog) -> list[str]:
    """What is wrong with an answer to a generated operation, if anything."""
    found = [f"{r.name}: {r.getMessage()}" for r in errors_logged(caplog.records)]
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}: {response.text[:300]}")
    body = response.json()
    if not ({"data", "errors"} & set(body)):
        found.append(f"not a GraphQL response: {body}")
    found += [e["message"] for e in body.get("errors", []) if e["message"] == "Unexpected error."]
    return found


def nothing_done(body: dict) -> bool:
    """Whether every root field of a mutation's answer says it did nothing: the operation did
    not run, or each payload is null or lists errors."""
    data = body.get("data")
    if not data:
        return True
    return all(p is None or (isinstance(p, dict) and p.get("errors")) for p in data.values())


async def answer(gql, operation: str, caplog):
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = await gql.http.post(
            "/graphql",
            json={"query": operation},
            headers={"Authorization": f"Bearer {gql.token}"},
        )
    assert unexpected_failures(response, caplog) == [], operation
    body = response.json()
    event(outcome(body))
    return body


def outcome(body: dict) -> str:
    """How far a generated operation got, for the statistics (`--hypothesis-show-statistics`)."""
    errors = body.get("errors") or []
    if body.get("data") is None and not any("path" in e for e in errors):
        return "request error (did not run)"
    payloads = [p for p in (body.get("data") or {}).values() if isinstance(p, dict)]
    codes = sorted({e.get("code", "?") for p in payloads for e in p.get("errors") or []})
    if codes:
        return f"payload errors {codes}"
    return "field errors" if errors else "done"


ERRORS = graphql.parse("{ errors { code } }").definitions[0].selection_set.selections[0]


def asking_for_errors(document: graphql.DocumentNode) -> str:
    """The generated mutation with `errors { code }` in every payload it selects, so that the
    test knows which of them did nothing."""

    def with_errors(root):
        selected = root.selection_set.selections
        if any(s.name.value == "errors" for s in selected if hasattr(s, "name")):
            return root
        return replace(
            root, selection_set=replace(root.selection_set, selections=(*selected, ERRORS))
        )

    operations = [
        replace(
            o,
            selection_set=replace(
                o.selection_set, selections=tuple(map(with_errors, o.selection_set.selections))
            ),
        )
        for o in document.definitions
    ]
    return graphql.print_ast(replace(document, definitions=tuple(operations)))


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(data=st.data())
async def test_generated_queries_are_answered_and_write_nothing(gql, db, world, caplog, data):
    before = await stored_state(db)
    query = data.draw(strategies.queries(SDL, custom_scalars=scalars(world)), label="query")
    await answer(gql, query, caplog)
    assert await stored_state(db) == before, query


@SETTINGS
@given(data=st.data())
async def test_generated_mutations_are_answered_and_write_only_what_they_report(
    gql, db, world, caplog, data
):
    before = await stored_state(db)
    mutation = data.draw(
        strategies.mutations(
            SDL,
            fields=FUZZED_MUTATIONS,
            custom_scalars=scalars(world),
            print_ast=asking_for_errors,
        ),
        label="mutation",
    )
    body = await answer(gql, mutation, caplog)
    if nothing_done(body):
        assert await stored_state(db) == before, mutation
