"""Who is asking: bearer tokens checked against the database, and what their scope allows."""

from typing import Any

from strawberry.permission import BasePermission

from domain.auth import credentials
from domain.vocabulary import TokenScope
from graphql_api.context import Info, Viewer
from infrastructure.bearer import bearer_token
from infrastructure.runtime import Runtime

MISSING_TOKEN = (
    "Send an API token as `Authorization: Bearer <token>`; create one with "
    "`journeyops token create --workspace NAME --scope read|write`."
)
INVALID_TOKEN = (
    "That API token is unknown or revoked, or the map session has expired; create a new token "
    "with `journeyops token create`, or type `/journey map` in Slack for a new sign-in link."
)


async def authenticate(runtime: Runtime, authorization: str | None) -> Viewer | None:
    """The viewer behind an `Authorization` header value, or None for a missing/bad token."""
    secret = bearer_token(authorization)
    if secret is None:
        return None
    async with runtime.transaction() as session:
        found = await credentials.authenticate(session, secret=secret, now=runtime.clock())
    if found is None:
        return None
    return Viewer(
        workspace_id=found.workspace_id,
        token_id=found.id,
        token_name=found.name,
        scope=found.scope,
        person_id=found.person_id,
    )


def auth_failure(authorization: str | None) -> str:
    return MISSING_TOKEN if bearer_token(authorization) is None else INVALID_TOKEN


class CanWrite(BasePermission):
    """Mutations need a write (or admin) token."""

    message = (
        "This API token can only read. Use a token created with `--scope write` to change things "
        "(a sign-in link from `/journey map` may edit once you are on a team: `/journey team`)."
    )
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.scope.allows(TokenScope.WRITE)
