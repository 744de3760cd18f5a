import strawberry

from domain.mention import service as mention_service
from domain.observation import service as observation_service
from domain.validation import client_idempotency_key
from domain.vocabulary import ObservationSource
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.base import in_transaction, write_mutation
from graphql_api.types.enums import Emotion, ObservationKind
from graphql_api.types.observation import Observation


@strawberry.input(description="Say where it was seen: a touchpoint, or a stage, or both.")
class LogObservationInput:
    text: str
    kind: ObservationKind
    touchpoint_id: strawberry.ID | None = None
    stage_id: strawberry.ID | None = None
    emotion: Emotion | None = None
    sentiment: int | None = strawberry.field(default=None, description="-2 … +2")
    author_team_id: strawberry.ID | None = None
    persona_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer segment it is about, if any."
    )
    author_name: str | None = strawberry.field(
        default=None,
        description="Who saw it; default: the API token's name, or the signed-in person's.",
    )
    permalink: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any 1–100 visible ASCII characters (a UUID, say). Sent again with a "
        "retry, it returns the observation the first request logged and logs nothing.",
    )


@strawberry.input(description="I saw the same (+1); once per person, whatever the clicks.")
class MentionObservationInput:
    observation_id: strawberry.ID
    author_team_id: strawberry.ID | None = None
    author_name: str | None = strawberry.field(
        default=None,
        description="Who saw it; default: the API token's name, or the signed-in person's.",
    )


@strawberry.type
class ObservationPayload:
    observation: Observation | None
    errors: list[UserError]


@strawberry.type
class ObservationMutations:
    @write_mutation(description="Log what someone saw at a touchpoint or stage.")
    async def log_observation(self, info: Info, input: LogObservationInput) -> ObservationPayload:
        viewer = info.context.viewer
        assert viewer is not None  # CanWrite let us in
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: observation_service.log(
                session,
                workspace_id=workspace_id,
                text=input.text,
                kind=input.kind,
                touchpoint_id=ids.decode_optional(
                    input.touchpoint_id, "Touchpoint", field="touchpointId"
                ),
                stage_id=ids.decode_optional(input.stage_id, "Stage", field="stageId"),
                emotion=input.emotion,
                sentiment=input.sentiment,
                author_team_id=ids.decode_optional(
                    input.author_team_id, "Team", field="authorTeamId"
                ),
                persona_id=ids.decode_optional(input.persona_id, "Persona", field="personaId"),
                author_id=viewer.actor_id,
                author_name=input.author_name or viewer.token_name,
                source=ObservationSource.GRAPHQL,
                permalink=input.permalink,
                idempotency_key=client_idempotency_key(input.idempotency_key),
            ),
        )
        return ObservationPayload(
            observation=Observation.from_row(row) if row else None, errors=errors
        )

    @write_mutation(
        description="Say you saw the same as an observation (+1): it counts as a mention, once "
        "per person; the observation's author's own +1 changes nothing."
    )
    async def mention_observation(
        self, info: Info, input: MentionObservationInput
    ) -> ObservationPayload:
        viewer = info.context.viewer
        assert viewer is not None  # CanWrite let us in
        row, errors = await in_transaction(
            info,
            lambda session, workspace_id: mention_service.mention(
                session,
                workspace_id=workspace_id,
                observation_id=ids.decode(
                    input.observation_id, "Observation", field="observationId"
                ),
                author_id=viewer.actor_id,
                author_name=input.author_name or viewer.token_name,
                author_team_id=ids.decode_optional(
                    input.author_team_id, "Team", field="authorTeamId"
                ),
            ),
        )
        return ObservationPayload(
            observation=Observation.from_row(row) if row else None, errors=errors
        )
