"""Open alerts and alert rules listed with the journey and stage names people read them by
(`/journey alerts`, App Home)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert.evaluation import (
    CohortSource,
    StageDetectableFall,
    detectable_falls,
    small_stage_warnings,
)
from domain.alert.models import Alert, AlertStatus
from domain.alert_rule import service as rule_service
from domain.alert_rule.models import AlertRule
from domain.by_name import journey as journey_by_name
from domain.by_name import stage as stage_by_name
from domain.by_name.stage import StagePlace
from domain.journey import service as journey_service
from domain.journey.models import Journey

SHOWN_MAX = 50


@dataclass(frozen=True)
class OpenAlert:
    alert: Alert
    place: StagePlace


@dataclass(frozen=True)
class NamedRule:
    rule: AlertRule
    journey_name: str
    stage_name: str | None  # None: every stage of the journey but the last
    # What each watched stage can show now; empty where nobody asked (a rule just removed).
    can_show: tuple[StageDetectableFall, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """The watched stages too small to show a 10-point fall, said when it is created."""
        return small_stage_warnings(self.can_show)


async def named_with_falls(
    session: AsyncSession,
    *,
    rule: AlertRule,
    journey_name: str,
    stage_name: str | None,
    at: datetime,
    cohorts: CohortSource,
) -> NamedRule:
    """The rule by its names, with the smallest fall each watched stage can show as of `at`."""
    falls = await detectable_falls(session, rule=rule, at=at, cohorts=cohorts)
    return NamedRule(rule, journey_name, stage_name, tuple(falls))


@dataclass(frozen=True)
class AlertsOverview:
    journey: Journey | None  # the journey asked about; None: the whole workspace
    alerts: list[OpenAlert]  # unresolved, newest first
    rules: list[NamedRule]


async def _places(session: AsyncSession, workspace_id: uuid.UUID) -> dict[uuid.UUID, StagePlace]:
    return {p.id: p for p in await stage_by_name.places(session, workspace_id=workspace_id)}


async def open_alerts(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_ids: Iterable[uuid.UUID] | None = None,
    limit: int = SHOWN_MAX,
) -> list[OpenAlert]:
    """Open and acknowledged alerts, newest first, of some journeys or the whole workspace."""
    query = select(Alert).where(
        Alert.workspace_id == workspace_id, Alert.status != AlertStatus.RESOLVED
    )
    if journey_ids is not None:
        query = query.where(Alert.journey_id.in_(list(journey_ids)))
    alerts = await session.scalars(
        query.order_by(Alert.fired_at.desc(), Alert.id.desc()).limit(limit)
    )
    places = await _places(session, workspace_id)
    return [OpenAlert(alert, places[alert.stage_id]) for alert in alerts]


async def overview(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey: str | None,
    at: datetime,
    cohorts: CohortSource,
) -> AlertsOverview:
    """The open alerts and the rules of one journey (forgiving name) or of the workspace, each
    rule with what its stages can show as of `at`."""
    found = (
        await journey_by_name.find(session, workspace_id=workspace_id, name=journey)
        if journey
        else None
    )
    journey_ids = [found.id] if found else None
    alerts = await open_alerts(session, workspace_id=workspace_id, journey_ids=journey_ids)
    rules = await rule_service.list_all(
        session, workspace_id=workspace_id, journey_id=found.id if found else None
    )
    places = await _places(session, workspace_id)
    journeys = {
        j.id: j.name for j in await journey_service.list_all(session, workspace_id=workspace_id)
    }
    named = [
        await named_with_falls(
            session,
            rule=rule,
            journey_name=journeys[rule.journey_id],
            stage_name=places[rule.stage_id].name if rule.stage_id else None,
            at=at,
            cohorts=cohorts,
        )
        for rule in rules[:SHOWN_MAX]
    ]
    return AlertsOverview(found, alerts, named)
