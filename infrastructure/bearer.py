"""The API token an HTTP request carries as `Authorization: Bearer <token>`, read one way by
every door that takes one (GraphQL, the map's exports)."""


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization` header value, or None when it holds no bearer token."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
