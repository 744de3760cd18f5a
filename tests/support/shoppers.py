"""Online shoppers for the deployed product: the demo's drop at Consideration, in few events.

Six weeks of shoppers up to an hour ago view a product (entering Consideration); some start a
checkout (Decision) one to 48 hours later. Two weeks ago fewer of them began to move on, at the
demo's rates (`journeyops.demo.DEMO_DROP`, usually `domain.event.synthetic.MOVE_ON`), so the
alert rule's recent cohorts (judged within two days of entry, the horizon these shoppers'
checkouts teach it) all hold the drop and its 28-day baseline mostly does not: about 240
against 2,240 customers, 21 % against the 45 % expected of those weekdays (9 of the baseline's
28 days have dropped too), a z of about −7 where −4.5 fires — the same alert whatever the time
of day the suite runs.
Only Consideration and Decision see events: the fewest the loop needs (about 5,000).
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.event.synthetic import MOVE_ON
from journeyops.demo import DEMO_DROP

PRODUCT_VIEWED = "Product Viewed"  # the demo's Product page, at Consideration
CHECKOUT_STARTED = "Checkout Started"  # the demo's Checkout, at Decision
DAYS = 42  # the alert's baseline (28 days) and recent (3) cohorts, matured (7 more to learn)
PER_DAY = 80
DROP_POSITION, DROP_DAYS_AGO, DROPPED_MOVE_ON = DEMO_DROP
USUAL_MOVE_ON = MOVE_ON[DROP_POSITION]


@dataclass(frozen=True)
class Shopper:
    id: str
    viewed_at: datetime
    checked_out_at: datetime | None


@dataclass(frozen=True)
class Event:
    """What a pipeline passes to Segment's `track`."""

    message_id: str
    user_id: str
    event: str
    timestamp: datetime


def shoppers(now: datetime, *, seed: int = 9) -> list[Shopper]:
    """Oldest first, so the recent cohorts arrive last, as a pipeline catching up sends them."""
    rng = random.Random(seed)
    last = now - timedelta(hours=1)  # nothing from the future, even with a little clock skew
    drop_since = now - timedelta(days=DROP_DAYS_AGO)
    found = []
    for day in range(DAYS, 0, -1):
        for n in range(PER_DAY):
            viewed = now - timedelta(days=day, seconds=-rng.uniform(0, 86_400))
            if viewed > last:
                continue
            move_on = DROPPED_MOVE_ON if viewed >= drop_since else USUAL_MOVE_ON
            checked_out = viewed + timedelta(hours=rng.uniform(1, 48))
            if rng.random() >= move_on or checked_out > last:
                checked_out = None
            found.append(Shopper(f"shopper-{seed}-{day}-{n}", viewed, checked_out))
    return found


def events(shoppers: list[Shopper]) -> list[Event]:
    found = []
    for shopper in shoppers:
        found.append(Event(f"{shopper.id}-view", shopper.id, PRODUCT_VIEWED, shopper.viewed_at))
        if checked_out := shopper.checked_out_at:
            found.append(Event(f"{shopper.id}-checkout", shopper.id, CHECKOUT_STARTED, checked_out))
    return found
