"""A stand-in for stage metrics' `CohortSource`: synthetic daily cohorts, no events needed.

300 customers enter every stage each day and half convert, all of them within a day of entry;
one stage falls to 35 % from DROP_DAY until BACK_DAY, the whole fall among customers who came
in through ads.
"""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from domain.alert.horizon import ELAPSED_HOURS
from domain.alert.statistics import Cohort, Proportion, Segment

DROP_DAY, BACK_DAY = date(2026, 3, 1), date(2026, 3, 20)


def cohort_source(dropping_stage_id):
    """Stage metrics stand-in: 300 entrants a day at 50 %; one stage at 35 % for a while,
    the fall all among ad traffic."""
    calls = []

    async def cohorts(session, *, workspace_id, journey_id, stage_id, days, alert_window, as_of):
        calls.append((stage_id, days, alert_window, as_of))
        result, day = [], days.first
        while day <= days.last:
            dropped = stage_id == dropping_stage_id and DROP_DAY <= day < BACK_DAY
            ad_converted = 30 if dropped else 75
            cohort = Cohort(
                day,
                300,
                75 + ad_converted,
                {
                    Segment("channel", "web"): _p(150, 75),
                    Segment("channel", "ad"): _p(150, ad_converted),
                },
            )
            shorter = [h for h in ELAPSED_HOURS if timedelta(hours=h) < alert_window]
            result.append(replace(cohort, sooner={h: cohort for h in shorter}))
            day += timedelta(days=1)
        return result

    cohorts.calls = calls
    return cohorts


def _p(entered, converted):
    return Proportion(entered, converted)


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=6)
