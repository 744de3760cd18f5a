"""What every resolver gets in `info.context`: who is asking, and the per-request loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.types import Info as StrawberryInfo

from domain.vocabulary import TokenScope
from infrastructure.runtime import Runtime

if TYPE_CHECKING:
    from graphql_api.loaders import Loaders


@dataclass(frozen=True)
class Viewer:
    """The credential a request came with (an API token, or a map session signed in from
    Slack); everything it reads or writes is in its workspace."""

    workspace_id: uuid.UUID
    token_id: uuid.UUID
    token_name: str  # the API token's name, or the signed-in person's
    scope: TokenScope
    person_id: str | None = None  # the Slack user a map session acts as

    @property
    def actor_id(self) -> str:
        """Who the activity log and observations say acted: the person, else the token."""
        return self.person_id or f"token:{self.token_id}"

    @property
    def actor_name(self) -> str:
        return self.token_name if self.person_id else f"API token “{self.token_name}”"


@dataclass
class Context:
    runtime: Runtime
    request: Any
    response: Any
    viewer: Viewer | None = None  # None only on a websocket before its connection_init
    # Filled by strawberry with the connection_init payload of a websocket.
    connection_params: dict[str, Any] | None = None
    # HTTP requests cache loaded rows for the request; a websocket lives too long to cache.
    cache: bool = True
    # Set when a resolver failed because the database could not be reached; the view then
    # answers 503 for the whole request.
    lost_database: BaseException | None = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        from graphql_api.loaders import Loaders

        if self._loaders is None:
            if self.viewer is None:
                raise PermissionError("not authenticated")
            self._loaders = Loaders(
                self.runtime.transaction, self.viewer.workspace_id, cache=self.cache
            )
        return self._loaders

    def forget_loaded(self) -> None:
        """Drop cached rows after a write, so the payload shows what was committed."""
        self._loaders = None

    @property
    def workspace_id(self) -> uuid.UUID:
        if self.viewer is None:
            raise PermissionError("not authenticated")
        return self.viewer.workspace_id


Info = StrawberryInfo[Context, None]
