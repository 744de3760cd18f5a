"""Stage metrics on small, hand-checked cases (the property test covers the rest)."""

from datetime import UTC, date, datetime

import pytest

from domain.errors import ValidationError
from domain.metrics.breakdown import stage_breakdown
from domain.stage import service as stage_service
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
from tests.support.shop import NOVEMBER, make_shop, metrics


@pytest.fixture
async def shop(session):
    workspace, journey, _ = await make_shop(session)
    return workspace, journey


def figures(result):
    return [(s.stage, s.entered, s.converted, s.dropped, s.pending) for s in result.stages]


async def test_entered_converted_dropped_and_pending_follow_the_definitions(session, shop):
    workspace, journey = shop
    await send(
        session,
        workspace,
        # ann converts after 1 hour, then buys
        track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T11:00:00Z"),
        track("ann", "Order Completed", "2026-11-02T12:00:00Z"),
        # bob skips the cart: buying is a later stage, so he converted out of "look" (3 hours)
        track("bob", "Page Viewed", "2026-11-03T10:00:00Z"),
        track("bob", "Order Completed", "2026-11-03T13:00:00Z"),
        # cid carts only after the two-day window: dropped
        track("cid", "Page Viewed", "2026-11-04T10:00:00Z"),
        track("cid", "Cart Viewed", "2026-11-06T10:00:01Z"),
        # dee visited the cart before looking: it does not count; her window is still open
        track("dee", "Cart Viewed", "2026-11-09T09:00:00Z"),
        track("dee", "Page Viewed", "2026-11-09T10:00:00Z"),
    )
    result = await metrics(session, journey, as_of=datetime(2026, 11, 10, tzinfo=UTC))
    assert figures(result) == [
        ("look", 4, 2, 1, 1),
        ("cart", 3, 1, 1, 1),
        ("buy", 2, None, None, None),
    ]
    look = result.stages[0]
    assert (look.conversion_rate, look.drop_off_rate) == (0.5, 0.25)
    assert look.median_time_to_convert == 2 * 3600  # between 1 h and 3 h
    assert look.p90_time_to_convert == pytest.approx(3600 + 0.9 * 7200)


async def test_only_events_at_or_before_the_evaluation_time_count(session, shop):
    workspace, journey = shop
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-03T10:00:00Z"),
    )
    before = await metrics(session, journey, as_of=datetime(2026, 11, 3, 9, tzinfo=UTC))
    after = await metrics(session, journey, as_of=datetime(2026, 11, 3, 10, tzinfo=UTC))
    assert figures(before)[:2] == [("look", 1, 0, 0, 1), ("cart", 0, 0, 0, 0)]
    assert figures(after)[:2] == [("look", 1, 1, 0, 0), ("cart", 1, 0, 0, 1)]


async def test_a_late_event_moves_a_customer_into_the_past_period_it_belongs_to(session, shop):
    workspace, journey = shop
    week_one, week_two = (
        (date(2026, 11, 2), date(2026, 11, 9)),
        (date(2026, 11, 9), date(2026, 11, 16)),
    )
    await send(session, workspace, track("ann", "Page Viewed", "2026-11-10T10:00:00Z"))
    await send(session, workspace, track("ann", "Cart Viewed", "2026-11-10T12:00:00Z"))
    assert (await metrics(session, journey, week_two)).stages[0].entered == 1

    await send(session, workspace, track("ann", "Ad Clicked", "2026-11-03T10:00:00Z"))

    assert (await metrics(session, journey, week_two)).stages[0].entered == 0
    first = await metrics(session, journey, week_one, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert figures(first)[0] == ("look", 1, 0, 1, 0)  # the cart came after her 2-day window
    await session.commit()
    by_channel = await stage_breakdown(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        start=week_one[0],
        end=week_one[1],
        by="channel",
    )
    assert [(s.key, s.stages[0].entered) for s in by_channel] == [("ad", 1)]


async def test_periods_are_cut_in_the_journeys_time_zone(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("a", "b"), timezone="Europe/Paris")
    a, _ = await stages_of(session, journey)
    await make_touchpoint(session, a, event_names=("Seen",))
    await send(session, workspace, track("ann", "Seen", "2026-11-01T23:30:00Z"))  # 00:30 in Paris

    first = await metrics(session, journey, (date(2026, 11, 1), date(2026, 11, 2)))
    second = await metrics(session, journey, (date(2026, 11, 2), date(2026, 11, 3)))
    weekly = await metrics(session, journey, granularity="week")
    assert (first.stages[0].entered, second.stages[0].entered) == (0, 1)
    assert [(b.start, b.stages[0].entered) for b in weekly.series][:2] == [
        (date(2026, 10, 26), 0),
        (date(2026, 11, 2), 1),
    ]


async def persona_keys(session, shop, as_of: datetime) -> list[str | None]:
    """The persona segments of November's breakdown as of `as_of`, once what was sent is
    committed."""
    workspace, journey = shop
    await session.commit()
    segments = await stage_breakdown(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        start=NOVEMBER[0],
        end=NOVEMBER[1],
        by="persona",
        as_of=as_of,
    )
    return [s.key for s in segments]


async def test_the_persona_breakdown_uses_the_persona_as_of_the_evaluation_time(session, shop):
    workspace, journey = shop
    busy = await make_persona(session, workspace, "Busy professional")
    await make_persona(session, workspace, "Budget shopper")
    await send(
        session,
        workspace,
        track("ann", "Page Viewed", "2026-11-02T10:00:00Z"),
        identify("ann", "2026-11-01T00:00:00Z", persona="Budget shopper"),
        identify("ann", "2026-11-05T00:00:00Z", persona="Busy professional"),
    )

    assert await persona_keys(session, shop, datetime(2026, 11, 3, tzinfo=UTC)) != [str(busy.id)]
    assert await persona_keys(session, shop, datetime(2026, 11, 6, tzinfo=UTC)) == [str(busy.id)]
    only_busy = await metrics(session, journey, persona_id=busy.id)
    assert only_busy.stages[0].entered == 1


async def test_a_customer_whose_persona_changed_twice_since_counts_under_the_one_they_had(
    session, shop
):
    # ann's customer row keeps only her latest two personas, both set after T: her history
    # says which she had then; bob's row says it (one change since)
    workspace, journey = shop
    budget = await make_persona(session, workspace, "Budget shopper")
    busy = await make_persona(session, workspace, "Busy professional")
    early = await make_persona(session, workspace, "Early adopter")
    await send(
        session,
        workspace,
        track("ann", "Page Viewed", "2026-11-02T10:00:00Z"),
        identify("ann", "2026-11-01T00:00:00Z", persona="Budget shopper"),
        identify("ann", "2026-11-05T00:00:00Z", persona="Busy professional"),
        identify("ann", "2026-11-07T00:00:00Z", persona="Early adopter"),
        track("bob", "Page Viewed", "2026-11-02T11:00:00Z"),
        identify("bob", "2026-11-01T00:00:00Z", persona="Budget shopper"),
        identify("bob", "2026-11-06T00:00:00Z", persona="Busy professional"),
    )
    then = datetime(2026, 11, 3, tzinfo=UTC)

    assert await persona_keys(session, shop, then) == [str(budget.id)]
    for persona, entered in ((budget, 2), (busy, 0), (early, 0)):
        read = await metrics(session, journey, persona_id=persona.id, as_of=then)
        assert read.stages[0].entered == entered
        assert sum(r.customers for r in read.reach) == entered
    now = await metrics(session, journey, persona_id=early.id)
    assert now.stages[0].entered == 1


async def test_a_customer_tracked_before_naming_a_persona_had_none_until_then(session, shop):
    workspace, journey = shop
    busy = await make_persona(session, workspace, "Busy professional")
    await send(
        session,
        workspace,
        identify("bo", "2026-11-04T00:00:00Z", persona="Busy professional"),
        track("bo", "Page Viewed", "2026-11-04T00:00:00Z"),
    )
    # an earlier event arriving later: bo was known, with no persona, before naming one
    await send(session, workspace, track("bo", "Page Viewed", "2026-11-02T10:00:00Z"))

    assert await persona_keys(session, shop, datetime(2026, 11, 3, tzinfo=UTC)) == [None]
    assert await persona_keys(session, shop, datetime(2026, 11, 5, tzinfo=UTC)) == [str(busy.id)]
    then = await metrics(
        session, journey, persona_id=busy.id, as_of=datetime(2026, 11, 3, tzinfo=UTC)
    )
    assert then.stages[0].entered == 0


async def test_reordering_stages_recomputes_conversions(session, shop):
    workspace, journey = shop
    look, cart, buy = await stages_of(session, journey)
    await send(
        session,
        workspace,
        track("ann", "Page Viewed", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T11:00:00Z"),
    )
    await stage_service.reorder(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_ids=[cart.id, look.id, buy.id],
    )
    result = await metrics(session, journey, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert figures(result)[:2] == [("cart", 1, 0, 1, 0), ("look", 1, 0, 1, 0)]


async def test_reach_counts_customers_first_reaching_each_touchpoint(session, shop):
    workspace, journey = shop
    await send(
        session,
        workspace,
        track("ann", "Page Viewed", "2026-10-30T10:00:00Z"),
        track("ann", "Page Viewed", "2026-11-02T10:00:00Z"),
        track("bob", "Page Viewed", "2026-11-02T10:00:00Z"),
        track("bob", "Ad Clicked", "2026-11-03T10:00:00Z"),
    )
    result = await metrics(session, journey)
    assert sorted(r.customers for r in result.reach) == [0, 0, 1, 1]


async def test_a_period_must_end_after_it_starts(session, shop):
    _, journey = shop
    with pytest.raises(ValidationError):
        await metrics(session, journey, (date(2026, 11, 2), date(2026, 11, 2)))


async def test_daily_cohorts_for_alerts_count_conversions_within_the_alert_window(session, shop):
    from datetime import timedelta

    from domain.alert.statistics import Days, Segment
    from domain.metrics.cohorts import daily_cohorts

    workspace, journey = shop
    look, cart, _ = await stages_of(session, journey)
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T15:00:00Z"),
        track("bob", "Page Viewed", "2026-11-02T11:00:00Z"),
        track("bob", "Cart Viewed", "2026-11-03T11:00:00Z"),
    )
    await session.commit()
    read = await daily_cohorts(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_ids=[look.id, cart.id],
        days=Days(date(2026, 11, 1), date(2026, 11, 3)),
        alert_window=timedelta(hours=6),
        as_of=datetime(2026, 11, 10, tzinfo=UTC),
        segments=True,
    )
    cohorts = read[look.id]
    assert [(c.day.day, c.entered, c.converted) for c in cohorts] == [
        (1, 0, 0),
        (2, 2, 1),
        (3, 0, 0),
    ]
    # Both stages in one read: ann and bob entered the cart on the 2nd and the 3rd.
    assert [(c.day.day, c.entered) for c in read[cart.id]] == [(1, 0), (2, 1), (3, 1)]
    assert cohorts[1].segments[Segment("channel", "ad")].converted == 1
    assert cohorts[1].segments[Segment("channel", "web")].converted == 0
    totals = await daily_cohorts(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_ids=[look.id],
        days=Days(date(2026, 11, 1), date(2026, 11, 3)),
        alert_window=timedelta(hours=6),
        as_of=datetime(2026, 11, 10, tzinfo=UTC),
    )
    # Without the split (what evaluations read first): the same totals, no segments.
    assert [(c.entered, c.converted, c.segments) for c in totals[look.id]] == [
        (c.entered, c.converted, {}) for c in cohorts
    ]


async def test_daily_cohorts_count_conversions_within_each_shorter_horizon(session, shop):
    from datetime import timedelta

    from domain.alert.statistics import Days
    from domain.metrics.cohorts import daily_cohorts

    workspace, journey = shop
    look, _, _ = await stages_of(session, journey)
    await send(
        session,
        workspace,
        track("ann", "Page Viewed", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T15:00:00Z"),  # after 5 hours
        track("bob", "Page Viewed", "2026-11-02T11:00:00Z"),
        track("bob", "Cart Viewed", "2026-11-03T11:00:00Z"),  # after exactly a day
        track("cat", "Page Viewed", "2026-11-02T12:00:00Z"),
        track("cat", "Cart Viewed", "2026-11-04T14:00:00Z"),  # after 50 hours
    )
    await session.commit()

    async def cohort_as_of(as_of: datetime):
        read = await daily_cohorts(
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            stage_ids=[look.id],
            days=Days(date(2026, 11, 2), date(2026, 11, 2)),
            alert_window=timedelta(days=7),
            as_of=as_of,
        )
        [cohort] = read[look.id]
        return cohort

    cohort = await cohort_as_of(datetime(2026, 11, 10, tzinfo=UTC))
    assert (cohort.entered, cohort.converted) == (3, 3)
    assert {h: c.converted for h, c in cohort.sooner.items()} == {
        24: 2,
        48: 2,
        72: 3,
        96: 3,
        120: 3,
        144: 3,
    }
    assert cohort.within(24).segments == cohort.sooner[24].segments
    # As of an earlier time, a conversion yet to happen counts within no horizon.
    earlier = await cohort_as_of(datetime(2026, 11, 4, 13, tzinfo=UTC))
    assert (earlier.converted, earlier.within(72).converted) == (2, 2)


async def test_touchpoint_edits_recompute_past_metrics(session, shop):
    from domain.touchpoint import service as touchpoint_service

    workspace, journey = shop
    *_, buy = await stages_of(session, journey)
    await send(
        session,
        workspace,
        track("ann", "Page Viewed", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T11:00:00Z"),
    )
    [cart_viewed] = [
        t
        for t in await touchpoint_service.list_for_journey(
            session, workspace_id=workspace.id, journey_id=journey.id
        )
        if t.event_names == ["Cart Viewed"]
    ]
    await touchpoint_service.update(
        session, workspace_id=workspace.id, touchpoint_id=cart_viewed.id, stage_id=buy.id
    )
    moved = await metrics(session, journey, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert figures(moved) == [
        ("look", 1, 1, 0, 0),
        ("cart", 0, 0, 0, 0),
        ("buy", 1, None, None, None),
    ]

    await touchpoint_service.update(
        session, workspace_id=workspace.id, touchpoint_id=cart_viewed.id, event_names=[]
    )
    unmapped = await metrics(session, journey, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert figures(unmapped)[0] == ("look", 1, 0, 1, 0)
    assert figures(unmapped)[2] == ("buy", 0, None, None, None)


async def test_concurrent_batches_about_one_customer_are_both_counted(db):
    import asyncio

    async with db.begin() as session:
        workspace = await make_workspace(session)
        journey = await make_journey(session, workspace, stages=("look", "cart", "buy"))
        look, cart, buy = await stages_of(session, journey)
        await make_touchpoint(session, look, event_names=("Page Viewed",))
        await make_touchpoint(session, cart, event_names=("Cart Viewed",))
        await make_touchpoint(session, buy, event_names=("Order Completed",))

    async def batch(*events):
        async with db.begin() as session:
            await send(session, workspace, *events)

    await asyncio.gather(
        batch(track("ann", "Page Viewed", "2026-11-02T10:00:00Z")),
        batch(track("ann", "Cart Viewed", "2026-11-02T11:00:00Z")),
        batch(track("ann", "Order Completed", "2026-11-02T12:00:00Z")),
    )
    async with db() as session:
        result = await metrics(session, journey, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert figures(result) == [
        ("look", 1, 1, 0, 0),
        ("cart", 1, 1, 0, 0),
        ("buy", 1, None, None, None),
    ]
