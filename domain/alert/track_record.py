"""The evidence an alert carries when it fires: its rule's track record at its stage.

Two parts (docs/alerts.md, "The track record"):
- the **backtest**: the rule replayed at the stage, daily at 06:00 in the journey's time zone
  over the 90 days before the day it fires, starting with no alert, through the very replay
  `alerts backtest` uses (domain.alert.decision.replay): how often it would have fired and how
  each of those alerts ended (recovered by itself, after how long, or still open at the end);
- the **past alerts** of this rule at this stage, once there are some: how each ended
  (recovered by itself, resolved by a person, resolved by an action, still unresolved) and
  how many were muted, or reopened after a resolution by hand, at some point.

Stored as JSON on the alert when it fires, so the message and the API show what was known
then, without replaying anything when a message is rendered. The replay is pure; the cohorts
it reads are one read for all the stages firing in an evaluation.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.alert.decision import Policy, Step, replay
from domain.alert.statistics import Cohort, Days

BACKTEST_DAYS = 90
EVALUATION_HOUR = 6  # backtests evaluate daily at 06:00 local, as `alerts backtest` does


def daily_times(first_day: date, last_day: date, timezone: str, hour: int) -> list[datetime]:
    """The evaluation times of a backtest: `hour` o'clock local on each day, both ends in."""
    zone = ZoneInfo(timezone)
    return [
        datetime.combine(first_day + timedelta(days=i), time(hour), zone)
        for i in range((last_day - first_day).days + 1)
    ]


def cohort_days(policy: Policy, times: Sequence[datetime]) -> Days:
    """Every cohort day evaluations at `times` judge: one read serves the whole replay, since a
    matured cohort's figures are the same as of any later time."""
    return Days(policy.reading_days(times[0]).first, policy.reading_days(times[-1]).last)


def backtest_times(policy: Policy, at: datetime) -> list[datetime]:
    """The track record's evaluations: daily over the BACKTEST_DAYS days before `at`'s day."""
    today = at.astimezone(ZoneInfo(policy.timezone)).date()
    return daily_times(
        today - timedelta(days=BACKTEST_DAYS),
        today - timedelta(days=1),
        policy.timezone,
        EVALUATION_HOUR,
    )


@dataclass(frozen=True)
class ReplayedAlert:
    """One alert the backtest would have fired; `recovered_at` None: still open at the end."""

    fired_at: datetime
    recovered_at: datetime | None

    @property
    def recovered_after(self) -> timedelta | None:
        return None if self.recovered_at is None else self.recovered_at - self.fired_at


@dataclass(frozen=True)
class PastAlerts:
    """How the rule's earlier alerts at the stage ended; `muted` and `reopened` (resolved by
    hand, then found still down) overlap the others."""

    recovered: int = 0
    resolved_by_person: int = 0
    resolved_by_action: int = 0
    unresolved: int = 0
    muted: int = 0
    reopened: int = 0

    @property
    def total(self) -> int:
        return self.recovered + self.resolved_by_person + self.resolved_by_action + self.unresolved


@dataclass(frozen=True)
class TrackRecord:
    first_day: date  # the backtest's days, in the journey's time zone
    last_day: date
    replayed: tuple[ReplayedAlert, ...]
    past: PastAlerts | None  # None: the rule had never fired at the stage

    @property
    def fired(self) -> int:
        return len(self.replayed)

    @property
    def recovered(self) -> list[ReplayedAlert]:
        return [alert for alert in self.replayed if alert.recovered_at is not None]

    @property
    def still_open(self) -> int:
        return self.fired - len(self.recovered)

    def to_json(self) -> dict[str, Any]:
        return {
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "replayed": [
                {
                    "fired_at": alert.fired_at.isoformat(),
                    "recovered_at": alert.recovered_at.isoformat() if alert.recovered_at else None,
                }
                for alert in self.replayed
            ],
            "past": None if self.past is None else vars(self.past),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TrackRecord":
        return cls(
            first_day=date.fromisoformat(data["first_day"]),
            last_day=date.fromisoformat(data["last_day"]),
            replayed=tuple(
                ReplayedAlert(
                    datetime.fromisoformat(alert["fired_at"]),
                    datetime.fromisoformat(alert["recovered_at"])
                    if alert["recovered_at"]
                    else None,
                )
                for alert in data["replayed"]
            ),
            past=None if data["past"] is None else PastAlerts(**data["past"]),
        )


def replayed_alerts(
    cohorts: Sequence[Cohort], policy: Policy, times: Sequence[datetime]
) -> tuple[ReplayedAlert, ...]:
    """The alerts a replay at `times` fires, each with the time it resolved itself, if it did."""
    alerts: list[ReplayedAlert] = []
    for event in replay(cohorts, policy, times):
        if event.decision.step is Step.FIRE:
            alerts.append(ReplayedAlert(event.at, None))
        elif event.decision.step is Step.RESOLVE and alerts:
            alerts[-1] = ReplayedAlert(alerts[-1].fired_at, event.at)
    return tuple(alerts)


def track_record(
    cohorts: Sequence[Cohort], policy: Policy, *, at: datetime, past: PastAlerts | None
) -> TrackRecord:
    """The track record of an alert firing at `at`, from the stage's cohorts of
    `cohort_days(policy, backtest_times(policy, at))` (more days do no harm)."""
    times = backtest_times(policy, at)
    return TrackRecord(
        first_day=times[0].date(),
        last_day=times[-1].date(),
        replayed=replayed_alerts(cohorts, policy, times),
        past=past if past is not None and past.total else None,
    )
