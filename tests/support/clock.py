"""A clock for code that takes one (`clock=`): time passes only when the test moves it, so an
expiry is tested at its exact instant and no test sleeps to let time pass."""


class Clock:
    """Monotonic seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
