"""Resolve with proof: after a person resolves an alert, the cohorts since against the
baseline it fired on, with customers through the ingestion use case and a fixed clock."""

from datetime import datetime, timedelta

import pytest

from domain.alert import proof
from domain.alert import service as alert_service
from domain.alert.before_after import BeforeAfter, Verdict
from domain.alert.models import Alert, AlertAction, AlertStatus, Resolution
from domain.alert.proof import ProofStep, proof_reply, proof_step
from domain.alert.statistics import Proportion
from domain.alert_rule import service as rule_service
from domain.metrics.cohorts import daily_cohorts
from domain.notification.models import Notification, NotificationKind
from tests.support.factories import dropped_evaluation
from tests.support.outcomes import (
    ONE_DAY_WINDOW,
    THREE_DAYS_AFTER,
    TWO_DAYS_AFTER,
    resolved_alert,
)


def judged(verdict: Verdict) -> BeforeAfter:
    return BeforeAfter(
        verdict, Proportion(8400, 4200), Proportion(120, 60), None, 0.0, 0.0, 1.0, "Figures."
    )


@pytest.mark.pure
@pytest.mark.parametrize(
    ("verdict", "newer", "step"),
    [
        (Verdict.NOT_YET, False, ProofStep.WAIT),
        (Verdict.BETTER, False, ProofStep.BACK),
        (Verdict.NO_CHANGE, True, ProofStep.BACK),
        (Verdict.WORSE, False, ProofStep.REOPEN),
        (Verdict.WORSE, True, ProofStep.STILL_DOWN),
        (Verdict.TOO_FEW, False, ProofStep.UNKNOWN),
    ],
)
def test_what_the_cohorts_since_mean_for_the_alert(verdict, newer, step):
    assert proof_step(judged(verdict), newer_alert_open=newer) is step


@pytest.mark.pure
def test_the_thread_hears_the_figures():
    assert proof_reply(ProofStep.BACK, judged(Verdict.NO_CHANGE)) == (
        ":white_check_mark: Back to the baseline (50.0 % vs 50.0 %) on 120 customers who "
        "entered since it was resolved. Figures."
    )


async def check(session, alert: Alert, at: datetime = THREE_DAYS_AFTER):
    result = await proof.check(
        session, workspace_id=alert.workspace_id, alert_id=alert.id, at=at, cohorts=daily_cohorts
    )
    await session.commit()
    return result


async def replies(session, alert: Alert) -> list[str]:
    rows = await session.scalars(
        Notification.__table__.select()
        .with_only_columns(Notification.text)
        .where(Notification.alert_id == alert.id, Notification.kind == NotificationKind.REPLY)
    )
    return list(rows)


async def test_back_to_the_baseline_is_said_once_in_the_thread(session):
    alert = await resolved_alert(session, converting_after=20)  # 50 %, as before the fall

    settled = await check(session, alert)

    assert settled is not None and settled.step is ProofStep.BACK
    [reply] = await replies(session, alert)
    assert reply.startswith(
        ":white_check_mark: Back to the baseline (50.0 % vs 50.0 %) on 120 customers who "
        "entered since it was resolved."
    )
    await session.refresh(alert)
    assert alert.status is AlertStatus.RESOLVED and alert.proof_checked_at == THREE_DAYS_AFTER
    assert alert.proof is not None and alert.proof["step"] == "back"
    assert await check(session, alert) is None  # settled: a second run changes nothing
    assert len(await replies(session, alert)) == 1


async def test_still_down_reopens_the_alert_and_says_why(session):
    alert = await resolved_alert(session, converting_after=12)  # 30 %

    settled = await check(session, alert)

    assert settled is not None and settled.step is ProofStep.REOPEN
    await session.refresh(alert)
    assert (alert.status, alert.resolution, alert.resolved_at) == (AlertStatus.OPEN, None, None)
    [reply] = await replies(session, alert)
    assert reply.startswith(
        ":rotating_light: Reopened: conversion is still below the baseline it fired on "
        "(30.0 % vs 50.0 %) on 120 customers who entered since it was resolved. Worse:"
    )
    activity = await alert_service.activity(
        session, workspace_id=alert.workspace_id, alert_id=alert.id
    )
    assert activity[-1].action is AlertAction.REOPENED and activity[-1].detail == reply
    updates = await session.scalars(
        Notification.__table__.select()
        .with_only_columns(Notification.id)
        .where(Notification.alert_id == alert.id, Notification.kind == NotificationKind.UPDATE)
    )
    assert len(list(updates)) == 1  # its message shows it open again
    assert await check(session, alert) is None

    # Resolved by hand again later: that resolution is checked afresh.
    await alert_service.resolve(
        session, workspace_id=alert.workspace_id, alert_id=alert.id, actor_id="U1", actor_name="K"
    )
    await session.commit()
    assert alert.resolution is Resolution.BY_HAND
    assert (await proof.due(session)) == [(alert.workspace_id, alert.id)]


async def test_nothing_is_said_before_enough_cohorts_since(session):
    alert = await resolved_alert(session, converting_after=12)
    settled = await check(session, alert, at=TWO_DAYS_AFTER)
    assert settled is not None and settled.step is ProofStep.WAIT
    await session.refresh(alert)
    assert (alert.status, alert.proof) == (AlertStatus.RESOLVED, None)
    assert await replies(session, alert) == []


async def test_a_newer_alert_open_at_the_stage_is_left_to_carry_the_news(session):
    alert = await resolved_alert(session, converting_after=12)
    newer = await alert_service.fire(
        session,
        rule=await rule_service.get(
            session, workspace_id=alert.workspace_id, rule_id=alert.rule_id
        ),
        stage_id=alert.stage_id,
        evaluation=dropped_evaluation(THREE_DAYS_AFTER, ONE_DAY_WINDOW),
        at=THREE_DAYS_AFTER - timedelta(hours=1),
        channel_ids=("C0ALERTS1",),
    )
    assert newer is not None
    await session.commit()
    settled = await check(session, alert)
    assert settled is not None and settled.step is ProofStep.STILL_DOWN
    await session.refresh(alert)
    assert alert.status is AlertStatus.RESOLVED
    [reply] = await replies(session, alert)
    assert "a newer alert at this stage is open" in reply


async def test_resolutions_by_recovery_are_not_due(session):
    alert = await resolved_alert(session, converting_after=20)
    alert.resolution = Resolution.RECOVERED
    await session.commit()
    assert await proof.due(session) == []
