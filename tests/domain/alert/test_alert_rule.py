from datetime import timedelta

import pytest

from domain.alert_rule import service as rule_service
from domain.errors import Duplicate, NotFound, ValidationError
from domain.journey import service as journey_service
from tests.support.factories import make_alert_rule, make_journey, make_workspace, stages_of


async def test_a_rule_with_only_a_journey_watches_every_stage_but_the_last_with_defaults(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    rule = await make_alert_rule(session, journey)
    stages = await stages_of(session, journey)
    watched = await rule_service.stages_watched(session, rule=rule)
    assert [s.name for s in watched] == [s.name for s in stages[:-1]]
    policy = rule_service.policy(rule, journey)
    assert (policy.recent_days, policy.baseline_days) == (3, 28)
    assert policy.alert_window == timedelta(days=7)
    assert policy.cooldown == timedelta(days=3)
    assert policy.thresholds.min_change_points == 5.0
    assert policy.thresholds.alpha == 0.00001
    assert policy.thresholds.min_sample == 50


async def test_a_short_conversion_window_shortens_the_default_alert_window(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, conversion_window_days=2)
    rule = await make_alert_rule(session, journey)
    assert rule_service.policy(rule, journey).alert_window == timedelta(hours=24)


async def test_an_alert_window_the_journey_has_since_outgrown_falls_back_to_the_default(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, conversion_window_days=30)
    rule = await make_alert_rule(session, journey, alert_window_hours=20 * 24)
    await journey_service.update(
        session, workspace_id=workspace.id, journey_id=journey.id, conversion_window_days=10
    )
    assert rule_service.policy(rule, journey).alert_window == timedelta(days=5)


async def test_the_alert_window_must_be_shorter_than_the_conversion_window(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, conversion_window_days=7)
    with pytest.raises(ValidationError, match="shorter than the journey's conversion window") as e:
        await make_alert_rule(session, journey, alert_window_hours=7 * 24)
    assert e.value.field == "alertWindowHours"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"recent_days": 0}, "recentDays"),
        ({"baseline_days": 3}, "baselineDays"),
        ({"recent_days": 14, "baseline_days": 7}, "baselineDays"),
        ({"min_change_points": 0.1}, "minChangePoints"),
        ({"alpha": 0.2}, "alpha"),
        ({"min_sample": 5}, "minSample"),
        ({"cooldown_hours": 0}, "cooldownHours"),
    ],
)
async def test_settings_out_of_range_are_refused_naming_the_field(session, settings, field):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    with pytest.raises(ValidationError) as caught:
        await make_alert_rule(session, journey, **settings)
    assert caught.value.field == field


async def test_the_last_stage_and_other_journeys_stages_cannot_be_watched(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("browse", "buy"))
    other = await make_journey(session, workspace, stages=("x", "y"))
    browse, buy = await stages_of(session, journey)
    with pytest.raises(ValidationError, match="last stage"):
        await make_alert_rule(session, journey, buy)
    with pytest.raises(ValidationError, match="another journey"):
        await make_alert_rule(session, journey, (await stages_of(session, other))[0])
    assert (await make_alert_rule(session, journey, browse)).stage_id == browse.id


async def test_one_rule_per_stage_and_one_for_all_stages(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    first = (await stages_of(session, journey))[0]
    await make_alert_rule(session, journey)
    await make_alert_rule(session, journey, first)
    with pytest.raises(Duplicate, match="all stages"):
        await make_alert_rule(session, journey)
    with pytest.raises(Duplicate, match="this stage"):
        await make_alert_rule(session, journey, first)


async def test_update_changes_only_what_is_given_and_none_restores_a_default(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    rule = await make_alert_rule(session, journey, alert_window_hours=48, recent_days=5)
    updated = await rule_service.update(
        session, workspace_id=workspace.id, rule_id=rule.id, alert_window_hours=None, alpha=0.001
    )
    assert (updated.alert_window_hours, updated.alpha, updated.recent_days) == (None, 0.001, 5)
    with pytest.raises(ValidationError):
        await rule_service.update(
            session, workspace_id=workspace.id, rule_id=rule.id, recent_days=99
        )
    assert rule.recent_days == 5


async def test_list_and_delete_stay_inside_the_workspace(session):
    workspace, elsewhere = await make_workspace(session), await make_workspace(session)
    journey = await make_journey(session, workspace)
    rule = await make_alert_rule(session, journey)
    assert [r.id for r in await rule_service.list_all(session, workspace_id=workspace.id)] == [
        rule.id
    ]
    assert await rule_service.list_all(session, workspace_id=elsewhere.id) == []
    with pytest.raises(NotFound):
        await rule_service.delete(session, workspace_id=elsewhere.id, rule_id=rule.id)
    await rule_service.delete(session, workspace_id=workspace.id, rule_id=rule.id)
    assert await rule_service.list_all(session, workspace_id=workspace.id) == []
