"""Alert rules: create, change, delete, list, and the policy a rule means for its journey.

Defaults, so that a rule given only a journey does the right thing:

- stages: all stages of the journey but the last (the last has no conversion);
- `recent_days` 3: a drop is judged on up to three days of cohorts (a large one on the newest
  day alone, alpha shared among the lengths), fast yet not on one noisy day for small falls;
- `baseline_days` 28: the four weeks before the recent window, every weekday four times;
- `alert_window_hours`: 7 days, or half the journey's conversion window if that is shorter, so
  conversion is judged a week after entry at the latest instead of when the full window
  closes (sooner where the stage converts fast: domain.alert.horizon);
- `min_change_points` 5.0: smaller falls are rarely worth a person's attention;
- `alpha` 0.00001, one-sided (domain.alert.statistics explains why, for daily evaluations);
- `min_sample` 50 customers on each side: fewer cannot show a fall of a few points;
- `cooldown_hours`: the recent window (72 h), so an alert after a resolution is judged on
  fresh cohorts.

Small stages (a few dozen customers a day) are safe with the defaults but slow to alert; a
longer `recent_days` lets several days of a fall add up there.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert.decision import Policy
from domain.alert.statistics import Thresholds
from domain.alert_rule.models import (
    DEFAULT_ALERT_WINDOW_HOURS,
    DEFAULT_ALPHA,
    DEFAULT_BASELINE_DAYS,
    DEFAULT_MIN_CHANGE_POINTS,
    DEFAULT_MIN_SAMPLE,
    DEFAULT_RECENT_DAYS,
    AlertRule,
)
from domain.errors import Duplicate, ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.lookup import get_in_workspace
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.validation import UNSET, Unset, in_range

RULES_PER_WORKSPACE_MAX = 500


def alert_window_hours(rule: AlertRule, *, conversion_window_days: int) -> int:
    """The alert window `rule` judges conversion within, given its journey's conversion
    window as it is now.

    Unset, it is 7 days or half the conversion window if that is shorter. One the conversion
    window has since shrunk below falls back to that default, so the rule never waits longer
    than customers have to convert.
    """
    window_hours = conversion_window_days * 24
    if rule.alert_window_hours is None or rule.alert_window_hours >= window_hours:
        return min(DEFAULT_ALERT_WINDOW_HOURS, window_hours // 2)
    return rule.alert_window_hours


def cooldown_hours(rule: AlertRule) -> int:
    """The cooldown after a resolution: the rule's own, or its recent window."""
    return rule.cooldown_hours or rule.recent_days * 24


def policy(rule: AlertRule, journey: Journey) -> Policy:
    """The settings `rule` evaluates with, given its journey as it is now."""
    return Policy(
        thresholds=Thresholds(
            min_change_points=rule.min_change_points, alpha=rule.alpha, min_sample=rule.min_sample
        ),
        recent_days=rule.recent_days,
        baseline_days=rule.baseline_days,
        alert_window=timedelta(
            hours=alert_window_hours(rule, conversion_window_days=journey.conversion_window_days)
        ),
        cooldown=timedelta(hours=cooldown_hours(rule)),
        timezone=journey.timezone,
    )


async def policy_for_stage(
    session: AsyncSession, *, journey: Journey, stage_id: uuid.UUID
) -> Policy:
    """The settings a stage is judged with outside an alert (an action's outcome): those of
    the rule on the stage, else of the journey's rule on all stages, else the defaults."""
    rules = {
        rule.stage_id: rule
        for rule in await session.scalars(
            select(AlertRule).where(
                AlertRule.workspace_id == journey.workspace_id,
                AlertRule.journey_id == journey.id,
                (AlertRule.stage_id == stage_id) | AlertRule.stage_id.is_(None),
            )
        )
    }
    rule = rules.get(stage_id) or rules.get(None) or _default_rule(journey)
    return policy(rule, journey)


def _default_rule(journey: Journey) -> AlertRule:
    """An unsaved rule with every default (column defaults apply only on insert)."""
    return AlertRule(
        workspace_id=journey.workspace_id,
        journey_id=journey.id,
        stage_id=None,
        baseline_days=DEFAULT_BASELINE_DAYS,
        recent_days=DEFAULT_RECENT_DAYS,
        alert_window_hours=None,
        min_change_points=DEFAULT_MIN_CHANGE_POINTS,
        alpha=DEFAULT_ALPHA,
        min_sample=DEFAULT_MIN_SAMPLE,
        cooldown_hours=None,
    )


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> AlertRule:
    return await get_in_workspace(
        session,
        AlertRule,
        workspace_id=workspace_id,
        id=rule_id,
        field="ruleId",
        label="alert rule",
    )


async def enabled_everywhere(session: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(workspace id, rule id) of every enabled rule of every workspace, oldest first: what the
    worker evaluates, each rule then in a transaction of its own."""
    rows = await session.execute(
        select(AlertRule.workspace_id, AlertRule.id)
        .where(AlertRule.enabled)
        .order_by(AlertRule.created_at, AlertRule.id)
    )
    return [(workspace_id, rule_id) for workspace_id, rule_id in rows]


async def find_in_any_workspace(session: AsyncSession, *, rule_id: uuid.UUID) -> AlertRule | None:
    """The rule with this id whichever workspace holds it: for the operator's command line,
    which serves every workspace (no door reaches rules this way)."""
    return await session.scalar(select(AlertRule).where(AlertRule.id == rule_id))


async def journey_names(
    session: AsyncSession, *, rule_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The name of each rule's journey, keyed by rule id, in one query."""
    rows = await session.execute(
        select(AlertRule.id, Journey.name)
        .join(
            Journey,
            (Journey.workspace_id == AlertRule.workspace_id) & (Journey.id == AlertRule.journey_id),
        )
        .where(AlertRule.id.in_(list(rule_ids)))
    )
    return {rule_id: name for rule_id, name in rows}


async def list_all(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID | None = None
) -> list[AlertRule]:
    """The workspace's rules (or one journey's), oldest first."""
    query = select(AlertRule).where(AlertRule.workspace_id == workspace_id)
    if journey_id is not None:
        query = query.where(AlertRule.journey_id == journey_id)
    return list(await session.scalars(query.order_by(AlertRule.created_at, AlertRule.id)))


async def list_for_journeys(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[AlertRule]]:
    """The rules of many journeys in one query, oldest first, keyed by journey (for
    DataLoaders)."""
    ids = list(journey_ids)
    grouped: dict[uuid.UUID, list[AlertRule]] = {journey_id: [] for journey_id in ids}
    rows = await session.scalars(
        select(AlertRule)
        .where(AlertRule.workspace_id == workspace_id, AlertRule.journey_id.in_(ids))
        .order_by(AlertRule.created_at, AlertRule.id)
    )
    for rule in rows:
        grouped[rule.journey_id].append(rule)
    return grouped


async def stages_watched(session: AsyncSession, *, rule: AlertRule) -> list[Stage]:
    """The stages the rule evaluates: its own, or every stage of the journey but the last."""
    stages = await stage_service.list_for_journey(
        session, workspace_id=rule.workspace_id, journey_id=rule.journey_id
    )
    return watched(stages, stage_id=rule.stage_id)


class _Identified(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


S = TypeVar("S", bound=_Identified)


def watched(stages: Sequence[S], *, stage_id: uuid.UUID | None) -> list[S]:
    """Of a journey's stages in order, those a rule for `stage_id` (None: all) evaluates."""
    if stage_id is not None:
        return [stage for stage in stages if stage.id == stage_id]
    return list(stages[:-1])


async def _stage_of(
    session: AsyncSession, journey: Journey, stage_id: uuid.UUID | None
) -> uuid.UUID | None:
    if stage_id is None:
        return None
    stage = await stage_service.get(session, workspace_id=journey.workspace_id, stage_id=stage_id)
    if stage.journey_id != journey.id:
        raise ValidationError("That stage belongs to another journey.", field="stageId")
    last = (
        await stage_service.list_for_journey(
            session, workspace_id=journey.workspace_id, journey_id=journey.id
        )
    )[-1]
    if stage.id == last.id:
        raise ValidationError(
            f"“{stage.name}” is the journey's last stage: customers cannot convert from it, so "
            "there is nothing to alert on. Pick an earlier stage.",
            field="stageId",
        )
    return stage.id


async def _ensure_no_twin(
    session: AsyncSession, rule: AlertRule, exclude: uuid.UUID | None = None
) -> None:
    twin = await session.scalar(
        select(AlertRule).where(
            AlertRule.workspace_id == rule.workspace_id,
            AlertRule.journey_id == rule.journey_id,
            AlertRule.stage_id.is_(None)
            if rule.stage_id is None
            else AlertRule.stage_id == rule.stage_id,
        )
    )
    if twin is not None and twin.id != exclude:
        where = "this stage" if rule.stage_id else "all stages of this journey"
        raise Duplicate(
            f"There is already an alert rule for {where}; change that rule instead.",
            field="stageId",
        )


def _check(rule: AlertRule, journey: Journey) -> None:
    """Every setting in its range, with the alert window inside the conversion window."""
    in_range(rule.recent_days, field="recentDays", label="The recent window (days)", low=1, high=30)
    in_range(rule.baseline_days, field="baselineDays", label="The baseline (days)", low=7, high=180)
    if rule.baseline_days < rule.recent_days:
        raise ValidationError(
            "The baseline must be at least as long as the recent window.", field="baselineDays"
        )
    window_hours = journey.conversion_window_days * 24
    if rule.alert_window_hours is not None and not 1 <= rule.alert_window_hours < window_hours:
        raise ValidationError(
            f"The alert window must be at least 1 hour and shorter than the journey's "
            f"conversion window ({window_hours} hours), not {rule.alert_window_hours}.",
            field="alertWindowHours",
            code=ErrorCode.OUT_OF_RANGE,
        )
    if not 0.5 <= rule.min_change_points <= 100:
        raise ValidationError(
            "The minimum change must be between 0.5 and 100 percentage points.",
            field="minChangePoints",
            code=ErrorCode.OUT_OF_RANGE,
        )
    if not 1e-9 <= rule.alpha <= 0.05:
        raise ValidationError(
            "The significance level must be between 0.000000001 and 0.05 (smaller is stricter; "
            "the default 0.00001 suits daily evaluations).",
            field="alpha",
            code=ErrorCode.OUT_OF_RANGE,
        )
    in_range(rule.min_sample, field="minSample", label="The minimum sample", low=20, high=1_000_000)
    if rule.cooldown_hours is not None:
        in_range(
            rule.cooldown_hours,
            field="cooldownHours",
            label="The cooldown (hours)",
            low=1,
            high=90 * 24,
        )


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_id: uuid.UUID | None = None,
    enabled: bool = True,
    recent_days: int = DEFAULT_RECENT_DAYS,
    baseline_days: int = DEFAULT_BASELINE_DAYS,
    alert_window_hours: int | None = None,
    min_change_points: float = DEFAULT_MIN_CHANGE_POINTS,
    alpha: float = DEFAULT_ALPHA,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    cooldown_hours: int | None = None,
) -> AlertRule:
    """Create a rule for one stage, or for every stage of the journey when none is given."""
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    existing = await list_all(session, workspace_id=workspace_id)
    if len(existing) >= RULES_PER_WORKSPACE_MAX:
        raise ValidationError(
            f"A workspace has at most {RULES_PER_WORKSPACE_MAX} alert rules; delete unused ones.",
            field="journeyId",
            code=ErrorCode.OUT_OF_RANGE,
        )
    rule = AlertRule(
        workspace_id=workspace_id,
        journey_id=journey.id,
        stage_id=await _stage_of(session, journey, stage_id),
        enabled=enabled,
        recent_days=recent_days,
        baseline_days=baseline_days,
        alert_window_hours=alert_window_hours,
        min_change_points=float(min_change_points),
        alpha=float(alpha),
        min_sample=min_sample,
        cooldown_hours=cooldown_hours,
    )
    _check(rule, journey)
    await _ensure_no_twin(session, rule)
    session.add(rule)
    await session.flush()
    return rule


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    rule_id: uuid.UUID,
    enabled: bool | Unset = UNSET,
    recent_days: int | Unset = UNSET,
    baseline_days: int | Unset = UNSET,
    alert_window_hours: int | None | Unset = UNSET,
    min_change_points: float | Unset = UNSET,
    alpha: float | Unset = UNSET,
    min_sample: int | Unset = UNSET,
    cooldown_hours: int | None | Unset = UNSET,
) -> AlertRule:
    """Change a rule's settings; None for the alert window or cooldown means "the default"."""
    rule = await get(session, workspace_id=workspace_id, rule_id=rule_id)
    journey = await journey_service.get(
        session, workspace_id=workspace_id, journey_id=rule.journey_id
    )
    changes = {
        "enabled": enabled,
        "recent_days": recent_days,
        "baseline_days": baseline_days,
        "alert_window_hours": alert_window_hours,
        "min_change_points": min_change_points,
        "alpha": alpha,
        "min_sample": min_sample,
        "cooldown_hours": cooldown_hours,
    }
    for name, value in changes.items():
        if not isinstance(value, Unset):
            setattr(rule, name, value)
    try:
        _check(rule, journey)
    except ValidationError:
        await session.refresh(rule)  # leave the loaded rule as stored
        raise
    await session.flush()
    return rule


async def delete(session: AsyncSession, *, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> None:
    """Delete a rule with its alerts and their history."""
    rule = await get(session, workspace_id=workspace_id, rule_id=rule_id)
    await session.delete(rule)
    await session.flush()
