"""The demo's synthetic customer events: realistic funnels, the same events every time."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.by_name import journey as journey_by_name
from domain.event import synthetic
from domain.metrics.stage_metrics import stage_metrics
from journeyops import demo

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.mark.pure
def test_the_generator_is_seeded_and_walks_customers_forward_in_time():
    plan = synthetic.Plan([["a"], ["b"], ["c"]], customers=200, start=NOW, days=14, seed=3)
    events = list(synthetic.events(plan))
    assert events == list(synthetic.events(plan))
    assert len({e["messageId"] for e in events}) == len(events)
    reached = [{e["userId"] for e in events if e["event"] == name} for name in "abc"]
    assert len(reached[0]) == 200 > len(reached[1]) > len(reached[2]) > 0


async def test_the_demo_journeys_have_a_few_weeks_of_metrics(session):
    workspace, _ = await demo.load(session, now=NOW, customers=(800, 150))
    journey = await journey_by_name.get_by_name(
        session, workspace_id=workspace.id, name="Online purchase"
    )
    await session.commit()  # readers read what is committed (domain.metrics.snapshot)
    metrics = await stage_metrics(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        start=date(2026, 9, 28),
        end=date(2026, 11, 24),
        as_of=NOW,
        granularity="week",
    )
    entered = [s.entered for s in metrics.stages]
    assert entered[0] > 500 and all(n > 0 for n in entered)
    assert metrics.stages[0].converted and metrics.stages[0].dropped
    assert len(metrics.series) == 9


async def test_sending_the_demo_events_again_stores_nothing_new(session):
    workspace, _ = await demo.load(session, now=NOW, customers=(800, 150))
    journey = await journey_by_name.get_by_name(
        session, workspace_id=workspace.id, name="B2B trial"
    )
    again = await synthetic.send_demo_events(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        customers=demo.DEMO_CUSTOMERS[1],
        seed=demo.DEMO_CUSTOMERS[1],
        personas=["Busy professional"],
        now=NOW + timedelta(seconds=1),
    )
    assert again.accepted == 0 and again.duplicates > 0
