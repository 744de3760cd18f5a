"""Alert cohorts from the daily rollups against the same cohorts counted from the progress rows
(`live_cohorts`, the judge), on random journeys: conversions right at, just before and just after
each horizon's edge, conversions after the evaluation time, events arriving late and out of
order, personas set before and after the evaluation time, evaluation times inside a day and
after every event, alert windows shorter than, equal to and longer than the journey's window,
and days nobody entered."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from domain.alert.statistics import Days
from domain.metrics.cohorts import daily_cohorts, live_cohorts
from domain.metrics.definitions import duration_bucket
from tests.support.factories import (
    identify,
    make_journey,
    make_persona,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
)

BASE = datetime(2026, 3, 27, tzinfo=UTC)  # the Paris clock change falls inside
RECEIVED = datetime(2026, 5, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
# Times between reaching one stage and the next: at, just below and just above day edges,
# and in between.
GAPS = st.one_of(
    st.sampled_from([timedelta(hours=24 * d) + s for d in range(1, 8) for s in (-HOUR, 0 * HOUR)]),
    st.sampled_from([timedelta(hours=24 * d, seconds=1) for d in range(1, 8)]),
    st.integers(0, 10 * 24 * 3600).map(lambda seconds: timedelta(seconds=seconds)),
)
EVENTS = (
    ("s0 ad", "ad"),
    ("s0 web", "web"),
    ("s1 web", "web"),
    ("s1 mail", "email"),
    ("s2", "web"),
)


@st.composite
def customer(draw, number: int) -> list[dict]:
    at = BASE + timedelta(minutes=draw(st.integers(0, 12 * 24 * 60)))
    events = []
    for name in (draw(st.sampled_from(EVENTS[:2])), draw(st.sampled_from(EVENTS[2:4])), EVENTS[4]):
        events.append(_track(f"c{number}", name[0], at))
        if not draw(st.integers(0, 3)):  # stops here
            break
        at += draw(GAPS)
    for _ in range(draw(st.integers(0, 2))):
        persona = draw(st.sampled_from(("p0", "p1", None)))
        set_at = BASE + timedelta(hours=draw(st.integers(0, 24 * 24)))
        events.append(identify(f"c{number}", set_at.isoformat(), persona=persona))
    return events


def _track(customer: str, event: str, at: datetime) -> dict:
    return {
        "type": "track",
        "messageId": f"{customer} {event}",
        "userId": customer,
        "event": event,
        "timestamp": at.isoformat(),
        "properties": {},
    }


@st.composite
def scenarios(draw) -> dict:
    events = [e for n in range(draw(st.integers(1, 8))) for e in draw(customer(n))]
    window_days = draw(st.sampled_from((2, 3, 8)))
    return {
        "batches": draw(st.permutations(events)),  # late and out-of-order arrivals
        "cut": draw(st.integers(0, len(events))),
        "timezone": draw(st.sampled_from(("UTC", "Europe/Paris", "Asia/Kathmandu"))),
        "window_days": window_days,
        "alert_hours": draw(
            st.sampled_from((6, 24, 25, 36, 47, window_days * 24 - 1, window_days * 24, 168))
        ),
        # inside the events, at a day's start, or long after every event
        "as_of": draw(
            st.one_of(
                st.integers(0, 30 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m)),
                st.integers(0, 30).map(lambda d: BASE + timedelta(days=d)),
                st.just(RECEIVED),
            )
        ),
        "days": (draw(st.integers(-2, 12)), draw(st.integers(0, 20))),
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
async def test_cohorts_from_the_rollups_are_those_of_the_progress_rows(db, scenario):
    async with db() as session:
        workspace = await make_workspace(session)
        for name in ("p0", "p1"):
            await make_persona(session, workspace, name)
        journey = await make_journey(
            session,
            workspace,
            stages=("s0", "s1", "s2"),
            timezone=scenario["timezone"],
            conversion_window_days=scenario["window_days"],
        )
        stages = await stages_of(session, journey)
        for name, channel in EVENTS:
            stage = stages[int(name[1])]
            await make_touchpoint(session, stage, name=name, channel=channel, event_names=(name,))
        events, cut = scenario["batches"], scenario["cut"]
        for batch in (events[:cut], events[cut:]):
            if batch:
                await send(session, workspace, *batch, received_at=RECEIVED)
        await session.commit()
        first, length = scenario["days"]
        start = BASE.date() + timedelta(days=first)
        for segments in (False, True):
            asked = {
                "workspace_id": workspace.id,
                "journey_id": journey.id,
                "stage_ids": [stage.id for stage in stages],
                "days": Days(start, start + timedelta(days=length)),
                "alert_window": timedelta(hours=scenario["alert_hours"]),
                "as_of": scenario["as_of"],
                "segments": segments,
            }
            assert await daily_cohorts(session, **asked) == await live_cohorts(session, **asked)


async def test_the_bucket_of_every_horizon_is_the_one_postgresql_gives(session):
    hours = list(range(1, 24 * 400))
    stored = await session.scalars(
        text(
            "SELECT 1 + floor(16 * ln((h * 3600)::float8) / 0.6931471805599453)::int "
            "FROM unnest(CAST(:hours AS int[])) WITH ORDINALITY AS x(h, i) ORDER BY i"
        ),
        {"hours": hours},
    )
    assert list(stored) == [duration_bucket(h * 3600) for h in hours]


async def test_a_conversion_in_the_bucket_holding_the_horizon_counts_by_its_own_time(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("look", "buy"))
    look, buy = await stages_of(session, journey)
    await make_touchpoint(session, look, event_names=("Look",))
    await make_touchpoint(session, buy, event_names=("Buy",))
    # 24 h and 24 h 10 min lie in one duration bucket: only the first is within a day
    assert duration_bucket(86400) == duration_bucket(86400 + 600)
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    await send(
        session,
        workspace,
        _track("ann", "Look", at),
        _track("ann", "Buy", at + timedelta(days=1)),
        _track("bob", "Look", at),
        _track("bob", "Buy", at + timedelta(days=1, minutes=10)),
    )
    await session.commit()
    read = await daily_cohorts(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_ids=[look.id],
        days=Days(date(2026, 11, 2), date(2026, 11, 2)),
        alert_window=timedelta(days=3),
        as_of=datetime(2026, 11, 10, tzinfo=UTC),
    )
    [cohort] = read[look.id]
    assert (cohort.entered, cohort.converted, cohort.within(24).converted) == (2, 2, 1)


@pytest.mark.parametrize(
    "later",
    [("p1",), ("p1", "p2")],
    ids=["changed once (the customer row says)", "changed twice (the history says)"],
)
async def test_a_customer_whose_persona_changed_after_the_evaluation_counts_under_the_old_one(
    session, later
):
    from domain.alert.statistics import Proportion, Segment

    workspace = await make_workspace(session)
    for name in ("p0", "p1", "p2"):
        await make_persona(session, workspace, name)
    journey = await make_journey(session, workspace, stages=("look", "buy"))
    look, buy = await stages_of(session, journey)
    await make_touchpoint(session, look, channel="ad", event_names=("Look",))
    await make_touchpoint(session, buy, event_names=("Buy",))
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    await send(
        session,
        workspace,
        identify("ann", "2026-11-01T00:00:00Z", persona="p0"),
        _track("ann", "Look", at),
        _track("ann", "Buy", at + timedelta(days=1)),  # right at the edge of a day
        *(  # after the evaluation time
            identify("ann", f"2026-11-0{5 + i}T00:00:00Z", persona=persona)
            for i, persona in enumerate(later)
        ),
    )
    await session.commit()
    asked = {
        "workspace_id": workspace.id,
        "journey_id": journey.id,
        "stage_ids": [look.id],
        "days": Days(date(2026, 11, 2), date(2026, 11, 2)),
        "alert_window": timedelta(days=3),
        "as_of": datetime(2026, 11, 4, tzinfo=UTC),
        "segments": True,
    }
    [cohort] = (await daily_cohorts(session, **asked))[look.id]
    assert cohort.within(24).segments == {
        Segment("persona", "p0"): Proportion(1, 1),
        Segment("channel", "ad"): Proportion(1, 1),
    }
    assert (await live_cohorts(session, **asked))[look.id] == [cohort]
