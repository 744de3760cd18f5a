"""The worked examples of docs/metrics.md, checked twice: against the plain reference written
from the definitions (pure, in the fast tier) and through the real path (stored progress and
rollups on PostgreSQL), so that the page and the code cannot drift apart unnoticed."""

from dataclasses import astuple
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.metrics.breakdown import stage_breakdown
from domain.metrics.stage_metrics import stage_metrics
from tests.support import metrics_reference as reference
from tests.support.factories import (
    identify,
    make_journey,
    make_persona,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
    track,
)

STAGES = ("Consideration", "Decision", "Purchase")
TOUCHPOINTS = (  # key, stage position, channel, event name
    ("product-page", 0, "web", "Product Viewed"),
    ("reviews", 0, "review", "Reviews Read"),
    ("checkout", 1, "web", "Checkout Started"),
    ("order", 2, "web", "Order Completed"),
)
WINDOW = timedelta(days=7)
EVENTS = (
    ("ann", "Product Viewed", "2026-03-01T10:00:00+00:00"),
    ("ann", "Checkout Started", "2026-03-03T10:00:00+00:00"),
    ("bob", "Reviews Read", "2026-03-02T09:00:00+00:00"),
    ("cat", "Product Viewed", "2026-03-05T12:00:00+00:00"),
    ("dan", "Order Completed", "2026-03-01T08:00:00+00:00"),
    ("dan", "Product Viewed", "2026-03-01T09:00:00+00:00"),
    ("eve", "Reviews Read", "2026-03-03T00:00:00+00:00"),
    ("eve", "Order Completed", "2026-03-04T12:00:00+00:00"),
)
LATE = (  # arriving on 11 March
    ("bob", "Checkout Started", "2026-03-05T09:00:00+00:00"),
    ("cat", "Reviews Read", "2026-02-27T15:00:00+00:00"),
)
PERIOD = (date(2026, 3, 1), date(2026, 3, 8))
T = datetime(2026, 3, 10, tzinfo=UTC)
EARLIER_T = datetime(2026, 3, 4, tzinfo=UTC)
LAST_STAGE = (None,) * 7

# stage: entered, converted, dropped, pending, conversion and drop-off rate, median, p90
FIGURES = {
    "Consideration": (5, 2, 2, 1, 0.4, 0.4, 151_200, 168_480),
    "Decision": (1, 0, 0, 1, 0.0, 0.0, None, None),
    "Purchase": (2, *LAST_STAGE),
}
FIGURES_AS_OF_4_MARCH = {"Consideration": (4, 1, 0, 3), "Decision": (1, 0, 0, 1)}
FIGURES_AFTER_LATE_EVENTS = {
    "Consideration": (4, 3, 1, 0, 0.75, 0.25, 172_800, 241_920),
    "Decision": (2, 0, 0, 2, 0.0, 0.0, None, None),
}
REACH = {"product-page": 3, "reviews": 2, "checkout": 1, "order": 2}
CONSIDERATION_BY_WEEK = {date(2026, 2, 23): 2, date(2026, 3, 2): 3, date(2026, 3, 9): 0}
CONSIDERATION_BY_CHANNEL = {"review": (2, 1, 1, 0), "web": (3, 1, 1, 1)}


# The reference, straight from the definitions


def raw(events, first_id: int = 0) -> list[reference.RawEvent]:
    return [
        reference.RawEvent(
            f"m{first_id + i:03}", customer, "track", name, datetime.fromisoformat(at)
        )
        for i, (customer, name, at) in enumerate(events)
    ]


SPECS = [
    reference.TouchpointSpec(key, at, channel, (name,)) for key, at, channel, name in TOUCHPOINTS
]


def reference_figures(events, as_of=T, period=PERIOD, keep=lambda entry: True):
    entries = [
        e
        for e in reference.entries(events, SPECS, len(STAGES), WINDOW, as_of)
        if reference.in_period(e.at, *period, "UTC") and keep(e)
    ]
    return {
        stage: astuple(reference.figures(entries, position, len(STAGES), WINDOW, as_of))
        for position, stage in enumerate(STAGES)
    }


@pytest.mark.pure
def test_the_example_journeys_figures_follow_the_definitions():
    assert reference_figures(raw(EVENTS)) == FIGURES


@pytest.mark.pure
def test_as_of_an_earlier_time_only_events_until_then_count():
    figures = reference_figures(raw(EVENTS), as_of=EARLIER_T)
    assert {stage: figures[stage][:4] for stage in FIGURES_AS_OF_4_MARCH} == FIGURES_AS_OF_4_MARCH
    assert figures["Purchase"][0] == 1


@pytest.mark.pure
def test_late_events_convert_a_customer_and_move_another_out_of_the_period():
    events = raw(EVENTS) + raw(LATE, first_id=len(EVENTS))
    figures = reference_figures(events)
    assert {stage: figures[stage] for stage in FIGURES_AFTER_LATE_EVENTS} == (
        FIGURES_AFTER_LATE_EVENTS
    )
    week_before = reference_figures(events, period=(date(2026, 2, 22), date(2026, 3, 1)))
    assert week_before["Consideration"][:4] == (1, 0, 1, 0)  # cat, dropped there


@pytest.mark.pure
def test_percentiles_interpolate_between_the_closest_ranks():
    durations = [60.0, 120.0, 180.0, 600.0]
    assert reference.percentile_cont(durations, 0.5) == 150
    assert reference.percentile_cont(durations, 0.9) == pytest.approx(474)


@pytest.mark.pure
def test_reach_weeks_and_channels_of_the_example():
    events = raw(EVENTS)
    assert reference.reach(events, SPECS, *PERIOD, "UTC", T) == REACH
    entries = reference.entries(events, SPECS, len(STAGES), WINDOW, T)
    by_week: dict[date, int] = dict.fromkeys(CONSIDERATION_BY_WEEK, 0)
    for e in entries:
        if e.position == 0 and reference.in_period(
            e.at, date(2026, 3, 1), date(2026, 3, 15), "UTC"
        ):
            by_week[reference.week_of(reference.local_day(e.at, "UTC"))] += 1
    assert by_week == CONSIDERATION_BY_WEEK
    by_channel = {
        channel: reference_figures(events, keep=lambda e, c=channel: e.touchpoint.channel == c)[
            "Consideration"
        ][:4]
        for channel in CONSIDERATION_BY_CHANNEL
    }
    assert by_channel == CONSIDERATION_BY_CHANNEL


@pytest.mark.pure
def test_the_smallest_message_id_names_the_entry_touchpoint_on_a_tie():
    at = datetime(2026, 3, 5, 12, tzinfo=UTC)
    events = [
        reference.RawEvent("m-2", "cat", "track", "Product Viewed", at),
        reference.RawEvent("m-1", "cat", "track", "Reviews Read", at),
    ]
    [entry] = reference.entries(events, SPECS, len(STAGES), WINDOW, T)
    assert entry.touchpoint.key == "reviews"


@pytest.mark.pure
def test_an_entry_belongs_to_the_local_day_of_the_journeys_time_zone():
    entry = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert not reference.in_period(entry, date(2026, 3, 1), date(2026, 3, 2), "Europe/Paris")
    assert reference.in_period(entry, date(2026, 3, 2), date(2026, 3, 3), "Europe/Paris")


# The real path


@pytest.fixture
async def shop(session):
    workspace = await make_workspace(session)
    journey = await make_journey(
        session, workspace, "Online shop", stages=STAGES, conversion_window_days=WINDOW.days
    )
    stages = await stages_of(session, journey)
    touchpoints = {
        key: await make_touchpoint(
            session, stages[position], name=key, key=key, channel=channel, event_names=(name,)
        )
        for key, position, channel, name in TOUCHPOINTS
    }
    await send_tracks(session, workspace, EVENTS)
    return workspace, journey, touchpoints


async def send_tracks(session, workspace, events):
    await send(session, workspace, *(track(c, name, at) for c, name, at in events))


async def metrics(session, journey, *, as_of=T, period=PERIOD, **options):
    await session.commit()  # readers read what is committed (domain.metrics.snapshot)
    return await stage_metrics(
        session,
        workspace_id=journey.workspace_id,
        journey_id=journey.id,
        start=period[0],
        end=period[1],
        as_of=as_of,
        **options,
    )


async def breakdown(session, journey, by, as_of=T):
    await session.commit()  # readers read what is committed (domain.metrics.snapshot)
    return await stage_breakdown(
        session,
        workspace_id=journey.workspace_id,
        journey_id=journey.id,
        start=PERIOD[0],
        end=PERIOD[1],
        by=by,
        as_of=as_of,
    )


def figures_of(stages) -> dict[str, tuple]:
    return {
        s.stage: (
            s.entered,
            s.converted,
            s.dropped,
            s.pending,
            s.conversion_rate,
            s.drop_off_rate,
            s.median_time_to_convert,
            s.p90_time_to_convert,
        )
        for s in stages
    }


async def test_the_real_path_gives_the_documented_figures(session, shop):
    _, journey, _ = shop
    assert figures_of((await metrics(session, journey)).stages) == FIGURES
    earlier = figures_of((await metrics(session, journey, as_of=EARLIER_T)).stages)
    assert {stage: earlier[stage][:4] for stage in FIGURES_AS_OF_4_MARCH} == FIGURES_AS_OF_4_MARCH
    assert earlier["Purchase"][0] == 1


async def test_the_real_path_gives_the_documented_reach_weeks_and_channels(session, shop):
    _, journey, touchpoints = shop
    keys = {tp.id: key for key, tp in touchpoints.items()}
    reached = (await metrics(session, journey)).reach
    assert {keys[r.touchpoint_id]: r.customers for r in reached} == REACH
    two_weeks = (date(2026, 3, 1), date(2026, 3, 15))
    weekly = await metrics(session, journey, period=two_weeks, granularity="week")
    assert {b.start: b.stages[0].entered for b in weekly.series} == CONSIDERATION_BY_WEEK
    by_channel = {
        s.key: figures_of(s.stages)["Consideration"][:4]
        for s in await breakdown(session, journey, "channel")
    }
    assert by_channel == CONSIDERATION_BY_CHANNEL


async def test_the_real_path_takes_late_events_into_the_periods_they_belong_to(session, shop):
    workspace, journey, _ = shop
    await send_tracks(session, workspace, LATE)

    after = figures_of((await metrics(session, journey)).stages)
    assert {stage: after[stage] for stage in FIGURES_AFTER_LATE_EVENTS} == FIGURES_AFTER_LATE_EVENTS
    week_before = await metrics(session, journey, period=(date(2026, 2, 22), date(2026, 3, 1)))
    assert figures_of(week_before.stages)["Consideration"][:4] == (1, 0, 1, 0)


async def test_the_persona_counted_is_the_one_as_of_the_evaluation_time(session, shop):
    workspace, journey, _ = shop
    budget = await make_persona(session, workspace, "Budget shopper")
    busy = await make_persona(session, workspace, "Busy professional")
    await send(
        session,
        workspace,
        identify("ann", "2026-03-01T00:00:00Z", persona="Budget shopper"),
        identify("ann", "2026-03-12T08:00:00Z", persona="busy professional"),  # any case
    )

    async def ann_counted_under(as_of):
        segments = await breakdown(session, journey, "persona", as_of=as_of)
        return [s.key for s in segments if s.key is not None]

    assert await ann_counted_under(T) == [str(budget.id)]
    assert await ann_counted_under(datetime(2026, 3, 13, tzinfo=UTC)) == [str(busy.id)]
