"""GraphQL over HTTP: media types, status codes, and malformed bodies answered as GraphQL
errors in JSON (400), never a plain-text 500."""

import gzip

import pytest

from graphql_api.media import GRAPHQL_RESPONSE_JSON as SPEC
from graphql_api.media import JSON, response_media_type


@pytest.mark.pure
@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (SPEC, SPEC),
        (f"{SPEC}, application/json", SPEC),
        (f"application/json, {SPEC}", JSON),
        (f"{SPEC}; charset=utf-8, application/json; charset=utf-8", SPEC),
        (f"application/json;q=0.9, {SPEC}", SPEC),
        (f"{SPEC};q=0.5, */*", JSON),
        ("application/json;q=0, */*", SPEC),
        ("text/html, application/xhtml+xml, */*;q=0.8", JSON),
        ("text/html", None),
        ("application/json;q=0", None),
        ("application/json;q=oops", None),
    ],
)
def test_the_response_media_type_follows_accept(accept, chosen):
    assert response_media_type(accept) == chosen


async def post(gql, body: str | bytes, accept: str | None = None):
    headers = {"Authorization": f"Bearer {gql.token}", "Content-Type": "application/json"}
    if accept is not None:
        headers["Accept"] = accept
    return await gql.http.post("/graphql", content=body, headers=headers)


SYNTAX_ERROR = '{"query": "{"}'
UNKNOWN_FIELD = '{"query": "{ noSuchField }"}'
UNCOERCIBLE = '{"query": "query($id: ID!) { __typename }", "variables": {"id": null}}'


@pytest.mark.parametrize("body", [SYNTAX_ERROR, UNKNOWN_FIELD, UNCOERCIBLE])
async def test_a_request_error_is_400_without_data_in_graphql_response_json(gql, body):
    """Issue 9: parse and validation failures answered 200 with `"data": null` whatever the
    client accepted."""
    response = await post(gql, body, accept=SPEC)
    assert response.status_code == 400
    assert response.headers["content-type"] == f"{SPEC}; charset=utf-8"
    answer = response.json()
    assert "data" not in answer and answer["errors"][0]["message"]


@pytest.mark.parametrize("body", [SYNTAX_ERROR, UNKNOWN_FIELD, UNCOERCIBLE])
@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
async def test_a_request_error_stays_200_with_null_data_in_application_json(gql, body, accept):
    """What clients written before the spec's new media type rely on."""
    response = await post(gql, body, accept=accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    answer = response.json()
    assert answer["data"] is None and answer["errors"]


@pytest.mark.parametrize("accept", [SPEC, "application/json"])
async def test_a_field_error_is_200_with_data_in_either_media_type(
    gql, workspace, make_token, accept
):
    """A read token's mutation fails at its field: the operation ran, so it is a response."""
    gql.token = await make_token(workspace, "read")
    response = await post(
        gql,
        '{"query": "mutation { createTeam(input: {name: \\"x\\"}) { errors { code } } }"}',
        accept,
    )
    assert response.status_code == 200
    answer = response.json()
    assert "data" in answer and answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_success_is_200_in_graphql_response_json(gql):
    response = await post(gql, '{"query": "{ teams { id } }"}', accept=SPEC)
    assert (response.status_code, response.json()) == (200, {"data": {"teams": []}})


async def test_a_client_that_accepts_no_json_type_gets_406(gql):
    response = await post(gql, '{"query": "{ teams { id } }"}', accept="text/html")
    assert response.status_code == 406
    assert SPEC in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("accept", [SPEC, "application/json"])
@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            '{"query": "{ teams { id } }", "variables": {"a": ' + "[" * 5000 + "]" * 5000 + "}}",
            "deeply",
        ),
        ("NONSENSE", "not valid JSON"),
        (b'{"query": "{ teams { id } }", "x": "\xff"}', "not UTF-8"),
        ('{"query": "{ teams { id } }", "variables": {"n": ' + "9" * 5000 + "}}", "digits"),
        ('{"query": "{ teams { id } }", "variables": [7]}', "`variables` must be an object"),
    ],
    ids=["5000-deep", "not-json", "not-utf8", "5000-digits", "variables-list"],
)
async def test_a_malformed_body_is_a_400_graphql_error_in_json(gql, body, says, accept):
    """Issue 10: a 5,000-deep JSON body answered a plain-text 500 (and the other malformed
    bodies a plain-text 400)."""
    response = await post(gql, body, accept=accept)
    assert response.status_code == 400
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    [error] = response.json()["errors"]
    assert says in error["message"]


async def test_a_compressed_body_is_refused_saying_so(gql):
    headers = {
        "Authorization": f"Bearer {gql.token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    body = gzip.compress(b'{"query": "{ teams { id } }"}')
    response = await gql.http.post("/graphql", content=body, headers=headers)
    assert response.status_code == 415
    assert "uncompressed" in response.json()["errors"][0]["message"]


async def test_refusals_before_graphql_runs_are_graphql_shaped_too(gql):
    """401 and 413 keep the keys they had, and carry `errors` like every other answer."""
    unauthenticated = await gql.post("{ teams { id } }", token=None)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert unauthenticated.json()["error"] == "unauthenticated"
    too_large = await gql.post("{ teams { id } }" + " " * 300_000)
    assert too_large.status_code == 413
    assert too_large.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
