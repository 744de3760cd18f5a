"""The weekly team digest end to end: events and observations in, one Slack post per team and
week out."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.local_slack import LocalSlack
from domain.action import lifecycle
from domain.action import service as action_service
from domain.digest.models import TeamDigest
from domain.journey.models import Journey
from domain.mention import service as mention_service
from domain.notification.models import Notification, NotificationKind
from domain.observation.models import Observation
from domain.vocabulary import ActionStatus
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.digests import send_weekly_digests
from tests.support.delivery import dispatcher
from tests.support.factories import (
    make_journey,
    make_observation,
    make_team,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
    track,
)

# The week of Mon 2 – Sun 8 November 2026 is reported on the Tuesday after.
NOW = datetime(2026, 11, 10, 6, tzinfo=UTC)
THIS_WEEK, LAST_WEEK = datetime(2026, 11, 4, 12, tzinfo=UTC), datetime(2026, 10, 28, 12, tzinfo=UTC)


@pytest.fixture
async def slack():
    async with LocalSlack() as server:
        yield server


@pytest.fixture
async def runtime(db, database_url, slack):
    runtime = Runtime.create(
        Settings(slack_api_url=slack.api_url, slack_bot_token="xoxb-test"), database_url
    )
    yield runtime
    await runtime.close()


async def observe(session, when, **options):
    observation = await make_observation(session, **options)
    await session.execute(
        update(Observation).where(Observation.id == observation.id).values(created_at=when)
    )
    return observation


@pytest.fixture
async def shop(runtime):
    """Checkout owns the cart; this week fewer lookers reached it than the week before.
    Support (a channel, owns nothing) and Finance (no channel) log observations."""
    async with runtime.db.begin() as session:
        workspace = await make_workspace(session)
        journey = await make_journey(
            session,
            workspace,
            name="Shop",
            stages=("look", "cart", "buy"),
            conversion_window_days=2,
        )
        look, cart, buy = await stages_of(session, journey)
        checkout = await make_team(session, workspace, name="Checkout", channel="C0CHECKOUT")
        support = await make_team(session, workspace, name="Support", channel="C0SUPPORT")
        finance = await make_team(session, workspace, name="Finance")
        page = await make_touchpoint(session, look, name="Product page", event_names=("Seen",))
        basket = await make_touchpoint(
            session, cart, name="Basket", event_names=("Carted",), owner=checkout
        )
        await make_touchpoint(session, buy, event_names=("Bought",))
        events = []
        for week, carting in (("2026-10-27", 3), ("2026-11-03", 1)):
            for n in range(4):
                events.append(track(f"{week}-{n}", "Seen", f"{week}T10:00:00Z"))
                if n < carting:
                    events.append(track(f"{week}-{n}", "Carted", f"{week}T11:00:00Z"))
        await send(session, workspace, *events)
        await observe(
            session,
            THIS_WEEK,
            touchpoint=basket,
            team=support,
            author_name="Sam",
            text="Coupon field <!channel> rejects valid codes",
        )
        await observe(session, THIS_WEEK, touchpoint=basket, team=finance, text="Refunds pile up")
        await observe(session, THIS_WEEK, touchpoint=basket, team=checkout, text="Our own note")
        await observe(session, LAST_WEEK, touchpoint=basket, team=support, text="Old news")
        await observe(session, THIS_WEEK, touchpoint=page, team=support, text="Not your page")
    return checkout


async def notifications(runtime) -> list[Notification]:
    async with runtime.db() as session:
        return list(await session.scalars(select(Notification).order_by(Notification.created_at)))


def readable(blocks) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_a_team_hears_how_its_stages_moved_and_what_other_teams_saw(runtime, slack, shop):
    assert await send_weekly_digests(runtime, now=NOW) == 1
    [digest] = await notifications(runtime)
    assert (digest.kind, digest.channel_id) == (NotificationKind.DIGEST, "C0CHECKOUT")
    await dispatcher(runtime).run()
    [posted] = slack.posted("C0CHECKOUT")
    text = readable(posted["blocks"])
    assert "Weekly digest: Checkout" in text and "Nov 2 – Nov 8" in text
    # look: 4 entered both weeks, conversion 75 % → 25 %; the cart is the team's own.
    assert "*look*: 4 entered · conversion 25.0% (▼50.0 pts)" in text
    assert "*cart* (yours): 1 entered (▼67%)" in text
    # Other teams' observations at the basket this week only, user text escaped.
    assert "Coupon field &lt;!channel&gt; rejects valid codes" in text and "<!channel>" not in text
    assert "Sam (Support)" in text and "Refunds pile up" in text
    for absent in ("Our own note", "Old news", "Not your page"):
        assert absent not in text
    assert "Weekly digest for Checkout" in posted["text"]


async def test_each_week_goes_out_once_however_many_workers_and_runs(runtime, database_url, shop):
    others = [Runtime.create(runtime.settings, database_url) for _ in range(2)]
    try:
        await asyncio.gather(*(send_weekly_digests(r, now=NOW) for r in (runtime, *others)))
        assert await send_weekly_digests(runtime, now=NOW + timedelta(days=2)) == 0
    finally:
        for other in others:
            await other.close()
    assert [n.channel_id for n in await notifications(runtime)] == ["C0CHECKOUT"]
    # The next week is a new digest.
    assert await send_weekly_digests(runtime, now=NOW + timedelta(days=7)) == 1


async def test_teams_without_a_channel_or_anything_owned_get_nothing(runtime, shop):
    await send_weekly_digests(runtime, now=NOW)
    async with runtime.db() as session:
        claimed = await session.scalar(select(func.count()).select_from(TeamDigest))
    # Checkout and Support (nothing owned: recorded, not posted); Finance has no channel.
    assert claimed == 2
    assert [n.channel_id for n in await notifications(runtime)] == ["C0CHECKOUT"]


async def test_a_digest_that_fails_midway_leaves_nothing_and_goes_out_next_run(
    runtime, shop, monkeypatch
):
    from domain.digest import service as digest_service

    gather = digest_service.gather

    async def broken(*args, **kwargs):
        raise RuntimeError("metrics unavailable")

    monkeypatch.setattr(digest_service, "gather", broken)
    assert await send_weekly_digests(runtime, now=NOW) == 0
    assert await notifications(runtime) == []
    monkeypatch.setattr(digest_service, "gather", gather)
    assert await send_weekly_digests(runtime, now=NOW) == 1


async def test_the_digest_says_how_often_a_problem_was_raised(runtime, slack, shop):
    async with runtime.db.begin() as session:
        refunds = await session.scalar(
            select(Observation).where(Observation.text == "Refunds pile up")
        )
        await mention_service.mention(
            session,
            workspace_id=refunds.workspace_id,
            observation_id=refunds.id,
            author_id="UPLUS",
            author_name="Pat",
            author_team_id=refunds.author_team_id,
        )
    assert await send_weekly_digests(runtime, now=NOW) == 1
    await dispatcher(runtime).run()
    text = readable(slack.posted("C0CHECKOUT")[0]["blocks"])
    assert "Refunds pile up” — _raised 2 times by 1 team_" in text
    assert "rejects valid codes” —" not in text  # nobody +1'd it: no count


async def test_the_digest_lists_the_teams_actions_by_status(runtime, slack, shop):
    """Open and in-progress actions whatever their age; done or dropped ones since the week
    began; other teams' actions not at all."""
    async with runtime.db.begin() as session:
        journey = await session.scalar(
            select(Journey).where(Journey.workspace_id == shop.workspace_id)
        )
        for title, owner, moves, at in (
            ("Coupon codes <b>checked</b> early", shop, (), LAST_WEEK),
            ("Shorter basket", shop, (ActionStatus.IN_PROGRESS,), LAST_WEEK),
            ("Express checkout", shop, (ActionStatus.DONE,), THIS_WEEK),
            ("Gift wrap", shop, (ActionStatus.DROPPED,), LAST_WEEK),
            ("Not ours", None, (), THIS_WEEK),
        ):
            action = await action_service.create(
                session,
                workspace_id=shop.workspace_id,
                journey_id=journey.id,
                title=title,
                owner_team_id=owner.id if owner else None,
                now=at,
            )
            for status in moves:
                await lifecycle.move(
                    session,
                    workspace_id=shop.workspace_id,
                    action_id=action.id,
                    to=status,
                    actor_id="U0001",
                    actor_name="Dana",
                    now=at,
                )
    assert await send_weekly_digests(runtime, now=NOW) == 1
    await dispatcher(runtime).run()
    [*_, digest] = slack.posted("C0CHECKOUT")
    text = readable(digest["blocks"])
    assert "Your team's actions" in text
    assert text.index("In progress* (1)") < text.index("Open* (1)") < text.index("Done* (1)")
    assert "Coupon codes &lt;b&gt;checked&lt;/b&gt; early" in text
    assert "Express checkout" in text
    for absent in ("Gift wrap", "Not ours", "Dropped"):
        assert absent not in text
