from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import relay

from domain.journey.models import Journey as JourneyRow
from domain.metrics.breakdown import stage_breakdown as read_stage_breakdown
from domain.metrics.stage_metrics import stage_metrics as read_stage_metrics
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors
from graphql_api.selection import selects
from graphql_api.types.enums import Channel
from graphql_api.types.metrics import (
    PERCENTILE_FIELDS,
    Granularity,
    MetricsBreakdown,
    StageMetrics,
    StageSegment,
)
from graphql_api.types.persona import Persona
from graphql_api.types.relations import ActionRef, AlertRef, AlertRuleRef, StageRef, loaded


@strawberry.type(description="The path one persona (or all customers) takes: ordered stages.")
class Journey(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str
    description: str
    conversion_window_days: int
    timezone: str
    created_at: datetime
    persona_id: strawberry.Private[uuid.UUID | None]

    persona: Persona | None = loaded(
        "persona", "persona_id", description="The persona it is drawn for; null: all customers."
    )

    @classmethod
    def from_row(cls, row: JourneyRow) -> Journey:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            conversion_window_days=row.conversion_window_days,
            timezone=row.timezone,
            created_at=row.created_at,
            persona_id=row.persona_id,
        )

    @strawberry.field(description="The stages, in order.")
    async def stages(self, info: Info) -> list[StageRef]:
        return await info.context.loaders.stages_by_journey.load(self.id)

    @strawberry.field(description="Improvements teams own on this journey, oldest first.")
    async def actions(self, info: Info) -> list[ActionRef]:
        return await info.context.loaders.actions_by_journey.load(self.id)

    @strawberry.field(description="Its alert rules, oldest first.")
    async def alert_rules(self, info: Info) -> list[AlertRuleRef]:
        return await info.context.loaders.alert_rules_by_journey.load(self.id)

    @strawberry.field(
        description="Its unresolved (open or acknowledged) alerts, newest first; resolved ones "
        "are in `alerts(journeyId:, status: RESOLVED)`."
    )
    async def open_alerts(self, info: Info) -> list[AlertRef]:
        return await info.context.loaders.open_alerts_by_journey.load(self.id)

    @strawberry.field(
        description="Per-stage figures for customers who entered in [from, to) (local days in "
        "the journey's time zone), evaluated as of `asOf` (default now); optionally a daily or "
        "weekly series, for one persona (as of `asOf`) or one entry channel."
    )
    async def stage_metrics(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        as_of: datetime | None = None,
        granularity: Granularity | None = None,
        persona_id: strawberry.ID | None = None,
        channel: Channel | None = None,
    ) -> StageMetrics:
        with domain_errors_as_graphql_errors():
            # The reader folds and reads on a connection of its own (domain.metrics.snapshot).
            async with info.context.runtime.transaction() as session:
                metrics = await read_stage_metrics(
                    session,
                    workspace_id=info.context.workspace_id,
                    journey_id=self.id,
                    start=from_,
                    end=to,
                    as_of=as_of,
                    granularity=granularity,
                    persona_id=ids.decode_optional(persona_id, "Persona", field="personaId"),
                    channel=channel,
                    with_percentiles=selects(info, *PERCENTILE_FIELDS),
                    with_reach=selects(info, "reach"),
                )
        return StageMetrics.from_domain(metrics)

    @strawberry.field(
        description="The per-stage figures of `stageMetrics` for each persona (the one a "
        "customer had as of `asOf`) or each entry channel, for customers who entered in "
        "[from, to); only segments somebody entered, no persona (or channel unknown) last."
    )
    async def stage_breakdown(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        by: MetricsBreakdown,
        as_of: datetime | None = None,
    ) -> list[StageSegment]:
        with domain_errors_as_graphql_errors():
            async with info.context.runtime.transaction() as session:
                segments = await read_stage_breakdown(
                    session,
                    workspace_id=info.context.workspace_id,
                    journey_id=self.id,
                    start=from_,
                    end=to,
                    by=by,
                    as_of=as_of,
                    with_percentiles=selects(info, *PERCENTILE_FIELDS),
                )
        return [StageSegment.from_domain(segment, by) for segment in segments]
