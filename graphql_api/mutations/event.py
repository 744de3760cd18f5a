"""`ingestEvents`: customer events through the same ingestion use case as /v1/batch."""

import strawberry
from strawberry.scalars import JSON

from domain.event import service as event_service
from domain.event.message import BATCH_EVENTS_MAX
from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.mutations.base import in_transaction, write_mutation
from infrastructure import telemetry


@strawberry.input
class IngestEventsInput:
    events: list[JSON] = strawberry.field(
        description="Segment-shaped events: type (track | identify), messageId, userId or "
        f"anonymousId, event, timestamp, properties, traits. At most {BATCH_EVENTS_MAX}."
    )


@strawberry.type(description="What happened to one event that was not stored.")
class EventProblem:
    index: int
    message_id: str | None
    status: str = strawberry.field(description="duplicate or rejected")
    reason: str | None = strawberry.field(description="Why it was rejected (machine-readable).")
    message: str | None


@strawberry.type
class IngestEventsPayload:
    accepted: int
    duplicates: int
    rejected: int
    problems: list[EventProblem] = strawberry.field(
        description="Every event not stored, in input order."
    )
    errors: list[UserError]


@strawberry.type
class EventMutations:
    @write_mutation(description="Store customer events; a messageId seen before is ignored.")
    async def ingest_events(self, info: Info, input: IngestEventsInput) -> IngestEventsPayload:
        result, errors = await in_transaction(
            info,
            lambda session, workspace_id: event_service.ingest(
                session, workspace_id=workspace_id, events=input.events
            ),
        )
        if result is None:
            return IngestEventsPayload(
                accepted=0, duplicates=0, rejected=0, problems=[], errors=errors
            )
        telemetry.count_events(result)
        return IngestEventsPayload(
            accepted=result.accepted,
            duplicates=result.duplicates,
            rejected=result.rejected,
            problems=[
                EventProblem(
                    index=r.index,
                    message_id=r.message_id,
                    status=r.status.value,
                    reason=r.reason.value if r.reason else None,
                    message=r.message,
                )
                for r in result.results
                if r.status is not event_service.Status.ACCEPTED
            ],
            errors=[],
        )
