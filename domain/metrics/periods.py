"""Periods and buckets cut in a journey's time zone. Pure."""

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"  # weeks start on Monday (ISO 8601)


def start_of_day(day: date, timezone: str) -> datetime:
    """The first instant of `day` in `timezone`, in UTC (when midnight is skipped by a clock
    change, the instant the day begins)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def period(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """The half-open period [start, end) of local days as UTC instants."""
    return start_of_day(start, timezone), start_of_day(end, timezone)


def bucket_of(day: date, granularity: Granularity) -> date:
    """The day or week (its Monday) a local day belongs to."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    return day


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
