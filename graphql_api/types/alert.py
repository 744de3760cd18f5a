from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay

from domain import vocabulary
from domain.alert import service as alert_service
from domain.alert.models import Alert as AlertRow
from domain.alert.models import AlertActivity as AlertActivityRow
from domain.alert.statistics import Contribution, Days, Proportion
from graphql_api.context import Info
from graphql_api.errors import domain_errors_as_graphql_errors
from graphql_api.types.alert_rule import AlertRule
from graphql_api.types.enums import (
    AlertAction,
    AlertResolution,
    AlertStatus,
    Emotion,
    ObservationKind,
)
from graphql_api.types.outcome import AlertProof
from graphql_api.types.relations import ActionRef, JourneyRef, ObservationRef, StageRef, loaded


@strawberry.type(
    description="The customers who entered a stage on some days, and how many of them "
    "converted within the alert window (all of them had that long, so none is pending)."
)
class ConversionFigures:
    first_day: date = strawberry.field(description="First cohort day, in the journey's zone.")
    last_day: date = strawberry.field(description="Last cohort day (inclusive).")
    entered: int
    converted: int

    @classmethod
    def of(cls, days: Days, proportion: Proportion) -> ConversionFigures:
        return cls(
            first_day=days.first,
            last_day=days.last,
            entered=proportion.entered,
            converted=proportion.converted,
        )

    @strawberry.field(description="converted / entered, from 0 to 1.")
    def conversion_rate(self) -> float:
        return Proportion(self.entered, self.converted).rate

    @strawberry.field(description="(entered − converted) / entered, from 0 to 1.")
    def drop_off_rate(self) -> float:
        return 1 - self.conversion_rate() if self.entered else 0.0


@strawberry.type(description="The persona or entry channel that accounts for most of a fall.")
class AlertDriver:
    dimension: str = strawberry.field(description="“persona” or “channel”.")
    label: str = strawberry.field(description="The persona's name, or the entry channel.")
    points: float = strawberry.field(
        description="Percentage points of the change in conversion it accounts for."
    )
    share: float = strawberry.field(description="Its share of the change; 0.6 is 60 %.")

    @classmethod
    def of(cls, contribution: Contribution | None) -> AlertDriver | None:
        if contribution is None:
            return None
        segment = contribution.segment
        return cls(
            dimension=segment.dimension,
            label=segment.label,
            points=contribution.points,
            share=contribution.share,
        )


@strawberry.type(description="An observation as it was when the alert fired.")
class AlertObservation:
    kind: ObservationKind
    emotion: Emotion | None
    text: str = strawberry.field(description="Its first 300 characters.")
    author_name: str
    created_at: datetime
    observation_id: strawberry.Private[uuid.UUID]

    observation: ObservationRef | None = loaded(
        "observation", "observation_id", description="The observation now; null once deleted."
    )

    @classmethod
    def of(cls, snapshot: dict[str, Any]) -> AlertObservation:
        return cls(
            kind=vocabulary.ObservationKind(snapshot["kind"]),
            emotion=vocabulary.Emotion(snapshot["emotion"]) if snapshot.get("emotion") else None,
            text=snapshot["text"],
            author_name=snapshot.get("author_name") or "",
            created_at=datetime.fromisoformat(snapshot["created_at"]),
            observation_id=uuid.UUID(snapshot["id"]),
        )


@strawberry.type(description="Who did what to an alert, and when; no actor: JourneyOps itself.")
class AlertActivity:
    action: AlertAction
    actor_id: str | None = strawberry.field(
        description="A Slack user id, or “token:…” for an API token."
    )
    actor_name: str | None
    detail: str
    at: datetime

    @classmethod
    def from_row(cls, row: AlertActivityRow) -> AlertActivity:
        return cls(
            action=row.action,
            actor_id=row.actor_id,
            actor_name=row.actor_name,
            detail=row.detail,
            at=row.created_at,
        )


@strawberry.type(
    description="A stage's conversion fell for real: the figures it fired on, why, and what "
    "people did about it since."
)
class Alert(relay.Node):
    id: relay.NodeID[uuid.UUID]
    status: AlertStatus
    fired_at: datetime
    alert_window_hours: int = strawberry.field(
        description="Conversion was counted within this many hours of entering the stage: "
        "the horizon learnt from the stage's time to convert (the rule's alert window when "
        "conversion is slow)."
    )
    baseline: ConversionFigures = strawberry.field(description="The earlier cohorts.")
    recent: ConversionFigures = strawberry.field(description="The cohorts that fell.")
    change_points: float = strawberry.field(
        description="Recent conversion minus what the baseline's same weekdays lead one to "
        "expect, in percentage points (negative: worse)."
    )
    z_score: float
    p_value: float = strawberry.field(
        description="One-sided pooled two-proportion z-test: how likely a fall this large is "
        "by chance."
    )
    reason: str = strawberry.field(description="The decision in words, with its figures.")
    driver: AlertDriver | None = strawberry.field(
        description="The persona or entry channel driving the fall, when one does."
    )
    observations: list[AlertObservation] = strawberry.field(
        description="What staff had logged at the stage when it fired, newest first."
    )
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    assignee_id: str | None = strawberry.field(description="The assignee's Slack user id.")
    assignee_name: str | None
    muted_until: datetime | None = strawberry.field(
        description="No new alert of its rule at its stage before this time."
    )
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: AlertResolution | None
    recovery_reason: str | None = strawberry.field(
        description="Why it resolved itself, when the stage recovered."
    )
    proof: AlertProof | None = strawberry.field(
        description="Once a person resolved it and enough customers entered since: whether "
        "conversion is back to the baseline it fired on (it is reopened if not)."
    )
    rule_id: strawberry.Private[uuid.UUID]
    journey_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID]
    resolved_by_action_id: strawberry.Private[uuid.UUID | None]

    rule: AlertRule = loaded("alert_rule", "rule_id")
    resolved_by_action: ActionRef | None = loaded(
        "action",
        "resolved_by_action_id",
        description="The action whose completion resolved it, when one did.",
    )
    journey: JourneyRef = loaded("journey", "journey_id")
    stage: StageRef = loaded("stage", "stage_id")

    @classmethod
    def from_row(cls, row: AlertRow) -> Alert:
        return cls(
            id=row.id,
            status=row.status,
            fired_at=row.fired_at,
            alert_window_hours=row.alert_window_hours,
            baseline=ConversionFigures.of(
                Days(row.baseline_first, row.baseline_last),
                Proportion(row.baseline_entered, row.baseline_converted),
            ),
            recent=ConversionFigures.of(
                Days(row.recent_first, row.recent_last),
                Proportion(row.recent_entered, row.recent_converted),
            ),
            change_points=row.change_points,
            z_score=row.z_score,
            p_value=row.p_value,
            reason=row.reason,
            driver=AlertDriver(
                dimension=row.driver_dimension,
                label=row.driver_label,
                points=row.driver_points,
                share=row.driver_share or 0.0,
            )
            if row.driver_dimension and row.driver_label and row.driver_points is not None
            else None,
            observations=[AlertObservation.of(o) for o in row.observations],
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            assignee_id=row.assignee_id,
            assignee_name=row.assignee_name,
            muted_until=row.muted_until,
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            resolution=row.resolution,
            recovery_reason=row.recovery_reason,
            proof=AlertProof.of(row.proof),
            rule_id=row.rule_id,
            journey_id=row.journey_id,
            stage_id=row.stage_id,
            resolved_by_action_id=row.resolved_by_action_id,
        )

    @strawberry.field(description="Who did what to it, oldest first.")
    async def activity(self, info: Info) -> list[AlertActivity]:
        return await info.context.loaders.activity_by_alert.load(self.id)


@strawberry.type(name="AlertConnection", description="A page of alerts, newest first.")
class AlertConnection(relay.Connection[Alert]):
    @classmethod
    async def search(
        cls,
        info: Info,
        *,
        status: Any,
        journey_id: uuid.UUID | None,
        first: int,
        after: str | None,
    ) -> AlertConnection:
        """One keyset page from the domain, shaped as a Relay connection."""
        with domain_errors_as_graphql_errors():
            async with info.context.runtime.transaction() as session:
                page = await alert_service.search(
                    session,
                    workspace_id=info.context.workspace_id,
                    status=status,
                    journey_id=journey_id,
                    first=first,
                    after=after,
                )
        rows = page.alerts
        return cls(
            edges=[
                relay.Edge(cursor=alert_service.encode_cursor(row), node=Alert.from_row(row))
                for row in rows
            ],
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=alert_service.encode_cursor(rows[0]) if rows else None,
                end_cursor=page.end_cursor,
            ),
        )
