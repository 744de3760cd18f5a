"""Issue 5 end to end: customer events in through ingestion, real daily cohorts, a default rule
evaluated every day, one alert when a stage's conversion really falls, one Slack message.

300 customers a day enter "cart"; half reach "buy" within two days for five weeks, then 35 %
do. Only the stage under test and the next one are mapped, to keep the events few.
"""

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.delivery import deliver_due
from bot.local_slack import LocalSlack
from domain.alert.models import Alert
from domain.event.message import BATCH_EVENTS_MAX
from domain.metrics.cohorts import daily_cohorts
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.alerting import evaluate_all
from tests.support.cohorts import at
from tests.support.factories import (
    make_alert_rule,
    make_journey,
    make_team,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
    track,
)

FIRST_DAY = date(2026, 8, 1)
STEADY_DAYS, DROPPED_DAYS = 35, 4
DROP_DAY = FIRST_DAY + timedelta(days=STEADY_DAYS)
PER_DAY = 300
# Everyone who converts does so within two days, so the rule learns to judge conversion
# within two days (not the default alert window of 7).
HORIZON = timedelta(days=2)
CHANNEL = "C0CHECKOUT"


def customer_events(rng: random.Random) -> list[dict]:
    """Each day's entrants view the cart at some hour; converters order 1 to 48 hours later."""
    events = []
    for offset in range(STEADY_DAYS + DROPPED_DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        rate = 0.5 if day < DROP_DAY else 0.35
        for n in range(PER_DAY):
            customer = f"c-{offset}-{n}"
            entered = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                seconds=rng.randrange(86_400)
            )
            events.append(track(customer, "Cart Viewed", entered.isoformat()))
            if rng.random() < rate:
                ordered = entered + timedelta(hours=rng.uniform(1, 48))
                events.append(track(customer, "Order Completed", ordered.isoformat()))
    return events


def judged(day: date) -> datetime:
    """The first daily evaluation at which cohort `day` is judged (two days after its end)."""
    return at(day + timedelta(days=1) + HORIZON)


async def test_a_real_fall_in_conversion_fires_once_and_reaches_the_owning_team(db, database_url):
    async with LocalSlack() as slack:
        runtime = Runtime.create(
            Settings(slack_api_url=slack.api_url, slack_bot_token="xoxb-test"), database_url
        )
        try:
            async with runtime.db.begin() as session:
                workspace = await make_workspace(session)
                journey = await make_journey(session, workspace, stages=("browse", "cart", "buy"))
                _browse, cart, buy = await stages_of(session, journey)
                team = await make_team(session, workspace, channel=CHANNEL)
                await make_touchpoint(session, cart, event_names=("Cart Viewed",), owner=team)
                await make_touchpoint(session, buy, event_names=("Order Completed",))
                await make_alert_rule(session, journey)
            events = customer_events(random.Random(5))
            for start in range(0, len(events), BATCH_EVENTS_MAX):
                batch = events[start : start + BATCH_EVENTS_MAX]
                async with runtime.db.begin() as session:
                    assert (await send(session, workspace, *batch)).accepted == len(batch)

            async def cart_decisions(when: datetime) -> str:
                outcomes = (await evaluate_all(runtime, cohorts=daily_cohorts, at=when)).outcomes
                (outcome,) = [o for o in outcomes if o.stage_id == cart.id]
                return outcome.decision.step.value

            # Daily, from a full recent window (of 3 days) to the last steady cohort's turn.
            steady = [
                await cart_decisions(judged(FIRST_DAY + timedelta(days=offset)))
                for offset in range(2, STEADY_DAYS)
            ]
            assert steady == ["hold"] * (STEADY_DAYS - 2)

            after_drop = [
                await cart_decisions(judged(DROP_DAY + timedelta(days=offset)))
                for offset in range(DROPPED_DAYS)
            ]
            # On its own, the first dropped day (300 customers) can show a fall of about 13
            # points: this 15-point fall just misses it here. With the second dropped day the
            # three-day window (one steady day, two dropped: about 10 points) is well beyond
            # chance: the alert fires four days after the fall began (the first dropped cohort
            # judged within two days, plus one), once.
            assert after_drop == ["hold", "fire", "hold", "hold"]

            async with runtime.db() as session:
                (alert,) = (await session.scalars(select(Alert))).all()
            assert alert.stage_id == cart.id
            assert (alert.recent_first, alert.recent_last) == (
                DROP_DAY - timedelta(days=1),
                DROP_DAY + timedelta(days=1),
            )
            assert alert.alert_window_hours == 48
            assert alert.recent_entered == 3 * PER_DAY
            assert alert.baseline_entered == 28 * PER_DAY
            assert alert.recent_converted / alert.recent_entered < 0.45
            assert 0.47 < alert.baseline_converted / alert.baseline_entered < 0.53
            assert alert.change_points <= -5 and alert.p_value < 1e-5 / 3

            report = await deliver_due(runtime)
            assert (report.sent, report.failed) == (1, 0)
            (message,) = slack.posted(CHANNEL)
            assert "› cart: converted within 2 days" in message["text"]
            assert [c for c in slack.messages if slack.messages[c]] == [CHANNEL]
        finally:
            await runtime.close()
