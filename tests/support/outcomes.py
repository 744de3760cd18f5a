"""Customers of the shop (tests/support/shop.py) before and after a moment, as a pipeline
sends them: every day PER_DAY people view a page (entering `look`) and the first `converting`
of them view their cart two hours later (`cart`, within the one-day alert window the shop's
two-day conversion window gives)."""

from datetime import UTC, date, datetime, time, timedelta

from tests.support.factories import send, track

PER_DAY = 40
MOMENT = datetime(2026, 11, 20, 12, tzinfo=UTC)  # an action done, an alert resolved
BEFORE = (date(2026, 10, 23), date(2026, 11, 19))  # the 28 days before the moment's day
# The third day after has matured once its end plus the alert window (a day) has passed.
THREE_DAYS_AFTER = datetime(2026, 11, 25, 6, tzinfo=UTC)
TWO_DAYS_AFTER = datetime(2026, 11, 24, 6, tzinfo=UTC)


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
