"""A client that speaks GraphQL over HTTP to an app served in-process or on a port."""

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    token: str | None = None

    async def post(self, query: str, variables: dict[str, Any] | None = None, *, token=...):
        token = self.token if token is ... else token
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # json.dumps escapes what UTF-8 cannot carry (lone surrogates) as JSON allows.
        body = json.dumps({"query": query, "variables": variables or {}})
        return await self.http.post("/graphql", content=body, headers=headers)

    async def run(self, query: str, variables: dict[str, Any] | None = None, **kw) -> dict:
        """The response's JSON; fails the test on an HTTP error."""
        response = await self.post(query, variables, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw) -> dict:
        """The response's data; fails the test on any top-level error."""
        body = await self.run(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def mutate(self, name: str, input: dict[str, Any], returns: str = "") -> dict:
        """Run mutation `name` with `input`; its payload (`returns` plus `errors`)."""
        input_type = f"{name[0].upper()}{name[1:]}Input"
        data = await self.data(
            f"mutation($input: {input_type}!) {{ {name}(input: $input) "
            f"{{ {returns} errors {{ field message code }} }} }}",
            {"input": input},
        )
        return data[name]
