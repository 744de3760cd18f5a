"""Customers of the shop (tests/support/shop.py) before and after a moment, as a pipeline
sends them: every day PER_DAY people view a page (entering `look`) and the first `converting`
of them view their cart two hours later (`cart`, within the one-day alert window the shop's
two-day conversion window gives)."""

from datetime import UTC, date, datetime, time, timedelta

from domain.alert import service as alert_service
from domain.alert.decision import Policy
from domain.alert.models import Alert
from domain.alert.statistics import Thresholds
from tests.support.factories import dropped_evaluation, make_alert_rule, send, stages_of, track
from tests.support.shop import make_shop

PER_DAY = 40
MOMENT = datetime(2026, 11, 20, 12, tzinfo=UTC)  # an action done, an alert resolved
BEFORE = (date(2026, 10, 23), date(2026, 11, 19))  # the 28 days before the moment's day
# The third day after has matured once its end plus the alert window (a day) has passed.
THREE_DAYS_AFTER = datetime(2026, 11, 25, 6, tzinfo=UTC)
TWO_DAYS_AFTER = datetime(2026, 11, 24, 6, tzinfo=UTC)
AFTER = (date(2026, 11, 20), date(2026, 11, 24))  # the moment's day and four after
FIRED_AT = datetime(2026, 11, 10, 6, tzinfo=UTC)
# The shop's rule: conversion counted within a day (the alert fired within that horizon).
ONE_DAY_WINDOW = Policy(
    thresholds=Thresholds(),
    recent_days=3,
    baseline_days=28,
    alert_window=timedelta(days=1),
    cooldown=timedelta(days=3),
)


def shoppers(first: date, last: date, converting: int) -> list[dict]:
    events, day = [], first
    while day <= last:
        for n in range(PER_DAY):
            who = f"shopper-{day:%m%d}-{n}"
            viewed = datetime.combine(day, time(8), UTC) + timedelta(minutes=5 * n)
            events.append(track(who, "Page Viewed", viewed.isoformat(), f"{who}-view"))
            if n < converting:
                carted = (viewed + timedelta(hours=2)).isoformat()
                events.append(track(who, "Cart Viewed", carted, f"{who}-cart"))
        day += timedelta(days=1)
    return events


async def send_shoppers(session, workspace, first: date, last: date, converting: int) -> None:
    """Through the ingestion use case, in batches it takes; committed."""
    events = shoppers(first, last, converting)
    for start in range(0, len(events), 500):
        await send(session, workspace, *events[start : start + 500])
    await session.commit()


async def resolved_alert(session, *, converting_after: int) -> Alert:
    """An alert at the shop's first stage that fired on a 50 % baseline (8,400 customers),
    resolved by hand at MOMENT; then 40 customers a day, `converting_after` of them
    converting."""
    workspace, journey, _ = await make_shop(session)
    look, *_ = await stages_of(session, journey)
    rule = await make_alert_rule(session, journey, look)
    alert = await alert_service.fire(
        session,
        rule=rule,
        stage_id=look.id,
        evaluation=dropped_evaluation(FIRED_AT, ONE_DAY_WINDOW),
        at=FIRED_AT,
        channel_ids=("C0ALERTS1",),
    )
    assert alert is not None
    await alert_service.resolve(
        session, workspace_id=workspace.id, alert_id=alert.id, actor_id="U0001", actor_name="Dana"
    )
    alert.resolved_at = MOMENT
    await session.commit()
    await send_shoppers(session, workspace, *AFTER, converting=converting_after)
    return alert
