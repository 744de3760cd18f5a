"""A field that follows a row's foreign key through the per-request DataLoaders."""

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from graphql_api.context import Info

if TYPE_CHECKING:
    from graphql_api.types.action import Action
    from graphql_api.types.alert import Alert
    from graphql_api.types.alert_rule import AlertRule
    from graphql_api.types.journey import Journey
    from graphql_api.types.observation import Observation, ObservationConnection
    from graphql_api.types.stage import Stage
    from graphql_api.types.touchpoint import Touchpoint


def loaded(loader: str, id_attr: str, *, description: str | None = None) -> Any:
    """The object `id_attr` points at, via `info.context.loaders.<loader>`; null when unset."""

    async def resolve(root: Any, info: Info) -> Any:
        row_id = getattr(root, id_attr)
        if row_id is None:
            return None
        return await getattr(info.context.loaders, loader).load(row_id)

    return strawberry.field(resolver=resolve, description=description)


# Types that refer to each other do so lazily, by module, to avoid import cycles.
JourneyRef = Annotated["Journey", strawberry.lazy("graphql_api.types.journey")]
StageRef = Annotated["Stage", strawberry.lazy("graphql_api.types.stage")]
TouchpointRef = Annotated["Touchpoint", strawberry.lazy("graphql_api.types.touchpoint")]
ObservationRef = Annotated["Observation", strawberry.lazy("graphql_api.types.observation")]
ActionRef = Annotated["Action", strawberry.lazy("graphql_api.types.action")]
AlertRef = Annotated["Alert", strawberry.lazy("graphql_api.types.alert")]
AlertRuleRef = Annotated["AlertRule", strawberry.lazy("graphql_api.types.alert_rule")]
ObservationConnectionRef = Annotated[
    "ObservationConnection", strawberry.lazy("graphql_api.types.observation")
]
