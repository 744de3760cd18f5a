"""A hostile query is refused before it runs; an unexpected failure is masked, not leaked."""

from strawberry.extensions import ValidationCache

from graphql_api.schema import MAX_ALIASES, MAX_DEPTH, schema


async def test_a_too_deep_query_is_refused(gql, seeded):
    # journey → stages → journey → stages … nests as deep as a client likes.
    nested = "stages { journey { " * MAX_DEPTH + "id" + " } }" * MAX_DEPTH
    body = await gql.run(f"query($id: ID!) {{ journey(id: $id) {{ {nested} }} }}", {"id": "x"})
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_an_alias_bomb_is_refused(gql):
    aliases = " ".join(f"t{n}: teams {{ id }}" for n in range(MAX_ALIASES + 1))
    body = await gql.run(f"{{ {aliases} }}")
    assert body.get("data") is None
    assert (
        body["errors"][0]["message"] == f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"
    )


async def test_an_operation_asked_again_is_not_validated_again(gql):
    """The limits are the same rules for every operation, so validation is cached (new rules
    each time made every operation a miss, and kept its rules alive in the cache)."""
    made = [extension() for extension in schema.extensions]  # type: ignore[operator]
    cache = next(e for e in made if isinstance(e, ValidationCache)).cached_validate_document
    query = "query Again { teams { id name } }"
    assert "errors" not in await gql.run(query)
    misses = cache.cache_info().misses
    assert "errors" not in await gql.run(query)
    assert cache.cache_info().misses == misses


async def test_a_query_with_too_many_tokens_is_refused(gql):
    fields = " ".join(["__typename"] * 2100)
    body = await gql.run(f"{{ {fields} }}")
    assert "token" in body["errors"][0]["message"].lower()


async def test_an_oversized_body_is_refused(gql):
    response = await gql.post("{ teams { id } }" + " " * 300_000)
    assert response.status_code == 413


async def test_unexpected_errors_are_masked(gql, seeded, monkeypatch):
    from domain.team import service as team_service

    async def broken(*args, **kwargs):
        raise RuntimeError("password=hunter2 in a stack trace")

    monkeypatch.setattr(team_service, "list_all", broken)
    body = await gql.run("{ teams { id } }")
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in str(body)


async def post_in_chunks(gql, *chunks: bytes):
    """A request without Content-Length: the body arrives chunk by chunk."""

    async def body():
        for chunk in chunks:
            yield chunk

    return await gql.http.post(
        "/graphql",
        content=body(),
        headers={"Authorization": f"Bearer {gql.token}", "Content-Type": "application/json"},
    )


async def test_an_oversized_chunked_body_is_refused(gql):
    """No Content-Length to trust: the bytes themselves are counted."""
    padding = [b" " * 1024] * 300
    response = await post_in_chunks(
        gql, b'{"query": "{ teams { id } }", "padding": "', *padding, b'"}'
    )
    assert response.status_code == 413
    assert "256 KiB" in response.json()["error"]


async def test_a_chunked_body_within_the_limit_is_answered(gql):
    response = await post_in_chunks(gql, b'{"query": "{ teams ', b'{ id } }"}')
    assert response.status_code == 200
    assert response.json()["data"] == {"teams": []}
