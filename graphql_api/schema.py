"""The GraphQL schema, its protective extensions, and its SDL (exported to schema.graphql)."""

from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_api.context import Context
from graphql_api.errors import should_mask
from graphql_api.mutations.action import ActionMutations
from graphql_api.mutations.alert import AlertMutations
from graphql_api.mutations.alert_rule import AlertRuleMutations
from graphql_api.mutations.event import EventMutations
from graphql_api.mutations.journey import JourneyMutations
from graphql_api.mutations.observation import ObservationMutations
from graphql_api.mutations.persona import PersonaMutations
from graphql_api.mutations.stage import StageMutations
from graphql_api.mutations.team import TeamMutations
from graphql_api.mutations.touchpoint import TouchpointMutations
from graphql_api.queries import Query
from graphql_api.subscriptions import Subscription
from graphql_api.types.action import Action
from graphql_api.types.alert import Alert
from graphql_api.types.alert_rule import AlertRule
from graphql_api.types.journey import Journey
from graphql_api.types.observation import Observation
from graphql_api.types.persona import Persona
from graphql_api.types.stage import Stage
from graphql_api.types.team import Team
from graphql_api.types.touchpoint import Touchpoint
from infrastructure.outage import database_unreachable

# A whole journey map with observations is 7 levels deep; 10 leaves room, not recursion.
MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 15

# The depth and alias limits as validation rules, made once. QueryDepthLimiter and
# MaxAliasesLimiter make new rule classes each time they are made, so with them made per
# operation no two operations were validated with the same rules: ValidationCache never hit
# (every operation validated afresh, leaving cyclic garbage) and held the last 256 operations'
# classes instead.
LIMITS = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"

Mutation = merge_types(
    "Mutation",
    (
        TeamMutations,
        PersonaMutations,
        JourneyMutations,
        StageMutations,
        TouchpointMutations,
        ObservationMutations,
        ActionMutations,
        EventMutations,
        AlertRuleMutations,
        AlertMutations,
    ),
)


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what failed on our side, with its traceback; what a client got wrong (syntax,
        validation, permissions, refused input) is the client's to read, and logging it would
        let anyone with a token fill the log. A lost database is noted for the view (503)."""
        unexpected = [error for error in errors if should_mask(error)]
        context = execution_context.context if execution_context else None
        lost = [e for e in unexpected if database_unreachable(e.original_error)]
        if lost and isinstance(context, Context):
            context.lost_database = lost[0].original_error
        super().process_errors([e for e in unexpected if e not in lost], execution_context)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Journey, Stage, Touchpoint, Team, Persona, Observation, Action, AlertRule, Alert],
    # Factories, so that each operation gets fresh extension instances.
    extensions=[
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: AddValidationRules(LIMITS),
        lambda: ValidationCache(maxsize=256),
        lambda: MaskErrors(should_mask_error=should_mask),
    ],
)


def sdl() -> str:
    """The schema in GraphQL SDL, as committed in schema.graphql."""
    return schema.as_str() + "\n"
