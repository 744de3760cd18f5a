"""The stage metric definitions of [docs/metrics.md](../../docs/metrics.md), written once as the
SQL that every reader (stage metrics, breakdowns, alert cohorts) and every writer of stored
progress (the daily rollups, the stored duration bucket) is built from. Pure.

Each function returns an SQL condition or expression over a `stage_progress` row (`alias`:
its table alias, empty for none) and SQL expressions for the window W in seconds and the
evaluation time T, so that a query's own parameters ($5, a column) fill them in. Migration
0010 holds the rollup trigger functions as literal SQL built from these same words, and
tests/domain/test_rollup_functions.py holds the database, that migration and this module to
one another.
"""

import math

SECONDS_PER_DAY = 86400

# The fractions of the time-to-convert percentiles ("Time to convert"), interpolated as
# PostgreSQL's percentile_cont does.
PERCENTILES = (0.5, 0.9)


def _column(alias: str, name: str) -> str:
    return f"{alias}.{name}" if alias else name


def converted_within(window: str, alias: str = "") -> str:
    """A conversion within the window after the entry, both ends included ("Converted,
    dropped, pending"); NULL, not false, for a row with no conversion."""
    converted_at, entered_at = _column(alias, "converted_at"), _column(alias, "entered_at")
    return f"{converted_at} <= {entered_at} + make_interval(secs => {window})"


def converted_by(window: str, as_of: str, alias: str = "") -> str:
    """Converted as of T: within the window, and at or before T."""
    return f"({converted_within(window, alias)} AND {_column(alias, 'converted_at')} <= {as_of})"


def dropped_by(window: str, as_of: str, alias: str = "") -> str:
    """Dropped as of T: not converted within the window, and the window closed at or before T
    (written as entry <= T - W, which an index on the entry serves)."""
    entered_at = _column(alias, "entered_at")
    return (
        f"(NOT ({converted_within(window, alias)}) IS TRUE "
        f"AND {entered_at} <= {as_of}::timestamptz - make_interval(secs => {window}))"
    )


def entered_in(low: str, high: str, as_of: str, alias: str = "") -> str:
    """An entry in the period [low, high), at or before T ("Periods")."""
    entered_at = _column(alias, "entered_at")
    return f"{entered_at} >= {low} AND {entered_at} < {high} AND {entered_at} <= {as_of}"


def duration_seconds(alias: str = "") -> str:
    """The time to convert, in seconds, as float8 ("Time to convert")."""
    converted_at, entered_at = _column(alias, "converted_at"), _column(alias, "entered_at")
    return f"(extract(epoch FROM {converted_at}) - extract(epoch FROM {entered_at}))::float8"


# The duration of a conversion in log-spaced buckets, 16 an octave: 0 below one second, then
# 1 + floor(16 log2(seconds)); a stored column of stage_progress (domain.metrics.models).
# Monotonic in the duration, so the rank of a duration among a period's conversions lies in
# the bucket the summed histograms point to.
def duration_bucket_of(alias: str = "") -> str:
    """The stored duration bucket's expression over the row `alias`, for a statement that reads
    the times from an index that does not hold the stored bucket."""
    converted_at, entered_at = _column(alias, "converted_at"), _column(alias, "entered_at")
    seconds = f"extract(epoch FROM {converted_at} - {entered_at})"
    return (
        f"CASE WHEN {converted_at} IS NULL THEN NULL "
        f"WHEN {seconds} < 1 THEN 0 "
        f"ELSE 1 + floor(16 * ln({seconds}::float8) "
        "/ 0.6931471805599453)::int END"
    )


DURATION_BUCKET = duration_bucket_of()


# The UTC day of an entry, the key of the index that finds a period's conversions after a time
# one entry day at a time (ix_stage_progress_entry_day_converted; UTC, not the journey's time
# zone, so that changing that zone leaves the index as it is).
ENTRY_DAY = "(entered_at AT TIME ZONE 'UTC')::date"


def entry_days(low: str, high: str) -> str:
    """Every UTC day of entries in [low, high] (timestamptz SQL expressions), as an array
    for `ENTRY_DAY = ANY(...)`: implied by the entry's bounds, said so that the index is used."""
    return (
        f"ARRAY(SELECT generate_series(({low} AT TIME ZONE 'UTC')::date, "
        f"({high} AT TIME ZONE 'UTC')::date, interval '1 day')::date)"
    )


def persona_as_of(as_of: str, customer: str = "c", *, history: bool = True) -> str:
    """The persona of the customer row `customer` as of T ("Personas and channels"): their
    current one unless it was set after T, else the latest set at or before T (ties: the
    greater messageId): the earlier one the customer row keeps when that was set by T (none
    when there was none before), else the one the history holds.

    Without `history`, for rows known to need none (their earlier persona set by T, or none):
    a statement with the history's lookup in it cannot be run in parallel, and its estimated
    cost misleads the planner even where the lookup never runs."""
    row = f"""
    CASE WHEN {customer}.persona_set_at IS NULL OR {customer}.persona_set_at <= {as_of}
         THEN {customer}.persona_id
    WHEN {customer}.earlier_persona_set_at IS NULL THEN NULL::uuid
    WHEN {customer}.earlier_persona_set_at <= {as_of} THEN {customer}.earlier_persona_id"""
    if not history:
        return row + " END"
    return f"""{row}
    ELSE (SELECT h.persona_id FROM customer_persona h
          WHERE h.workspace_id = {customer}.workspace_id AND h.customer_id = {customer}.id
            AND h.set_at <= {as_of}
          ORDER BY h.set_at DESC, h.message_id COLLATE "C" DESC LIMIT 1) END"""


def duration_bucket(seconds: float) -> int:
    """The DURATION_BUCKET of a duration of `seconds`, in the same float8 operations (both
    take ln from the C library), so a duration at most `seconds` lies in its bucket or below."""
    if seconds < 1:
        return 0
    return 1 + math.floor(16 * math.log(seconds) / 0.6931471805599453)
