"""The track record an alert carries: its rule's 90-day backtest at the stage and how the
rule's earlier alerts there ended."""

from datetime import UTC, date, datetime, timedelta

from domain.action import service as action_service
from domain.alert import service as alert_service
from domain.alert.decision import Step
from domain.alert.evaluation import backtest, evaluate_rule
from domain.alert.track_record import PastAlerts, TrackRecord
from domain.journey import service as journey_service
from tests.support.cohorts import at, cohort_source
from tests.support.factories import (
    make_alert,
    make_alert_rule,
    make_journey,
    make_workspace,
    stages_of,
)

ME = {"actor_id": "U0DANA", "actor_name": "Dana"}
# The cart falls from 50 % to 35 % twice: 1–19 March (it recovers), and from 1 May on.
FALLS = ((date(2026, 3, 1), date(2026, 3, 20)), (date(2026, 5, 1), date(2027, 1, 1)))
FIRES = at(date(2026, 5, 3))  # the first evaluation to see the second fall


async def _cart_rule(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("browse", "cart", "buy"))
    _browse, cart, _buy = await stages_of(session, journey)
    return cart, await make_alert_rule(session, journey, cart)


async def _all_stages_rule(session, rule):
    """Another rule of the same journey, watching the cart too."""
    journey = await journey_service.get(
        session, workspace_id=rule.workspace_id, journey_id=rule.journey_id
    )
    return await make_alert_rule(session, journey)


async def test_an_alert_carries_the_backtest_of_its_rule_over_the_90_days_before(session):
    cart, rule = await _cart_rule(session)
    source = cohort_source(cart.id, falls=FALLS)

    [outcome] = await evaluate_rule(session, rule=rule, at=FIRES, cohorts=source)

    assert outcome.decision.step is Step.FIRE and outcome.alert is not None
    record = TrackRecord.from_json(outcome.alert.track_record)
    assert (record.first_day, record.last_day) == (date(2026, 2, 2), date(2026, 5, 2))
    # The March fall: fired on the 3rd, back within 2.5 points of 50 % on the 24th.
    [replayed] = record.replayed
    assert replayed.fired_at == at(date(2026, 3, 3))
    assert replayed.recovered_after == timedelta(days=21)
    assert (record.fired, record.still_open, record.past) == (1, 0, None)
    # The very replay `alerts backtest` makes over those days.
    events = await backtest(
        session, rule=rule, first_day=record.first_day, last_day=record.last_day, cohorts=source
    )
    assert [(e.at, e.decision.step) for e in events] == [
        (at(date(2026, 3, 3)), Step.FIRE),
        (at(date(2026, 3, 24)), Step.RESOLVE),
    ]
    # One read of the 37 days an evaluation may judge, one for the driver of the stage firing,
    # and one of the 126 days the 90 replayed evaluations judge (not one per replayed day).
    assert [(len(days), stages) for stages, days, _window, _at in source.calls[:3]] == [
        (37, (cart.id,)),
        (37, (cart.id,)),
        (126, (cart.id,)),
    ]


async def test_a_backtest_alert_still_open_at_the_end_says_so(session):
    cart, rule = await _cart_rule(session)
    source = cohort_source(cart.id, falls=FALLS)

    [outcome] = await evaluate_rule(
        session, rule=rule, at=FIRES + timedelta(days=3), cohorts=source
    )

    record = TrackRecord.from_json(outcome.alert.track_record)
    assert [a.fired_at for a in record.replayed] == [at(date(2026, 3, 3)), FIRES]
    assert (record.fired, len(record.recovered), record.still_open) == (2, 1, 1)


async def _ended(session, rule, cart, day: int, how: str, *, muted: bool = False) -> None:
    """An alert of the rule at the cart, fired on `day` January, ended as `how` says."""
    alert = await make_alert(session, rule, cart, at=datetime(2026, 1, day, 6, tzinfo=UTC))
    ids = {"workspace_id": alert.workspace_id, "alert_id": alert.id}
    if muted:
        await alert_service.mute(session, **ids, **ME, hours=1, now=alert.fired_at)
    if how == "person":
        await alert_service.resolve(session, **ids, **ME)
    elif how == "reopened, then person":
        await alert_service.resolve(session, **ids, **ME)
        await alert_service.reopen(session, alert=alert, reason="Still down.")
        await alert_service.resolve(session, **ids, **ME)
    elif how == "action":
        await alert_service.resolve(session, **ids, **ME)
        action = await action_service.create(
            session,
            workspace_id=alert.workspace_id,
            journey_id=rule.journey_id,
            stage_id=cart.id,
            title="Free shipping",
        )
        alert.resolved_by_action_id = action.id
    elif how == "recovered":
        await alert_service.resolve_recovered(
            session, **ids, reason="Back to 50 %.", at=alert.fired_at + timedelta(days=4)
        )
    if alert.resolved_at is not None:  # resolved long ago: no cooldown left
        alert.resolved_at = alert.fired_at + timedelta(days=4)
    await session.flush()


async def test_past_alerts_of_the_rule_at_the_stage_are_counted_by_how_they_ended(session):
    cart, rule = await _cart_rule(session)
    await _ended(session, rule, cart, 2, "person", muted=True)
    await _ended(session, rule, cart, 9, "person")
    await _ended(session, rule, cart, 16, "recovered")
    await _ended(session, rule, cart, 23, "action", muted=True)
    await _ended(session, rule, cart, 27, "reopened, then person")
    other_rule = await _all_stages_rule(session, rule)
    await make_alert(session, other_rule, cart, at=datetime(2026, 1, 30, tzinfo=UTC))

    [outcome] = await evaluate_rule(
        session, rule=rule, at=FIRES, cohorts=cohort_source(cart.id, falls=FALLS)
    )

    record = TrackRecord.from_json(outcome.alert.track_record)
    assert record.past == PastAlerts(
        recovered=1, resolved_by_person=3, resolved_by_action=1, unresolved=0, muted=2, reopened=1
    )


async def test_a_dry_run_computes_no_track_record(session):
    cart, rule = await _cart_rule(session)
    source = cohort_source(cart.id, falls=FALLS)
    [outcome] = await evaluate_rule(session, rule=rule, at=FIRES, cohorts=source, apply=False)
    assert outcome.decision.step is Step.FIRE and outcome.decision.evaluation.driver is not None
    assert len(source.calls) == 2  # the evaluation's and the driver's; no backtest


def test_a_track_record_survives_its_json():
    record = TrackRecord(
        first_day=date(2026, 1, 1),
        last_day=date(2026, 3, 31),
        replayed=(),
        past=PastAlerts(recovered=1, muted=1),
    )
    assert TrackRecord.from_json(record.to_json()) == record
