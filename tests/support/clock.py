"""A clock for code that takes one (`clock=`): time passes only when the test moves it, so an
expiry is tested at its exact instant and no test sleeps to let time pass."""

from datetime import datetime, timedelta


class Clock:
    """Monotonic seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class WallClock:
    """A wall clock (aware datetimes, as `Runtime.clock`) that moves only when a test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by
