"""Alert rules added or removed by journey and stage name (`/journey alerts watch …`), the
names resolved as `domain.by_name` resolves them."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert.evaluation import CohortSource
from domain.alert.named_list import NamedRule, named_with_falls
from domain.alert_rule import service as rule_service
from domain.by_name import stage as stage_by_name
from domain.errors import NotFound


async def add_rule(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey: str,
    stage: str | None = None,
    at: datetime,
    cohorts: CohortSource,
) -> NamedRule:
    """A rule with the default settings for a journey (every stage) or one of its stages, with
    what its stages can show as of `at` (its `warnings` name those too small)."""
    found, place = await stage_by_name.find_in_journey(
        session, workspace_id=workspace_id, journey=journey, stage=stage
    )
    rule = await rule_service.create(
        session,
        workspace_id=workspace_id,
        journey_id=found.id,
        stage_id=place.id if place else None,
    )
    return await named_with_falls(
        session,
        rule=rule,
        journey_name=found.name,
        stage_name=place.name if place else None,
        at=at,
        cohorts=cohorts,
    )


async def remove_rule(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey: str, stage: str | None = None
) -> NamedRule:
    """Delete the rule of a journey (its every-stage rule) or of one stage, with its alerts."""
    found, place = await stage_by_name.find_in_journey(
        session, workspace_id=workspace_id, journey=journey, stage=stage
    )
    stage_id = place.id if place else None
    rule = next(
        (
            r
            for r in await rule_service.list_all(
                session, workspace_id=workspace_id, journey_id=found.id
            )
            if r.stage_id == stage_id
        ),
        None,
    )
    if rule is None:
        where = f"“{place.label}”" if place else f"all stages of “{found.name}”"
        raise NotFound(
            f"There is no alert rule for {where}. `/journey alerts {found.name}` lists its rules.",
            field="stage" if place else "journey",
        )
    named = NamedRule(rule, found.name, place.name if place else None)
    await rule_service.delete(session, workspace_id=workspace_id, rule_id=rule.id)
    return named
