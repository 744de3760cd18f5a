"""histogram bytes: a rollup row's duration histogram stored as little-endian int32 bytes (bucket
b in bytes 4b to 4b + 3), not as int[]

A reading takes a thousand rollup rows of a few hundred buckets each. Sent as int[], the server
encodes every element on its own (array_send) and the reader decodes and packs each: about
20 ms of a breakdown's read at 5M events, most of it for the histograms. As bytes the server
sends the row as it is stored, and the reader takes each histogram as one integer
(`int.from_bytes(histogram, "little")`: domain.metrics.daily_rollups.packed), to sum with the
others as integers do.

Only the two histogram functions change meaning (same names, now over bytea); the trigger
functions whose text wrote an empty histogram as the int[] literal '{}' are restated with the
empty bytea instead (their text is otherwise that of 0010 and 0017: `FUNCTIONS`).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 14:10:00.000000
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("stage_day", "stage_persona_day")

HISTOGRAM_COUNT = """
CREATE FUNCTION duration_histogram_count(histogram bytea, bucket int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
-- The count of one bucket of a dense histogram (0 beyond its end).
SELECT CASE WHEN 4 * bucket + 4 > length(histogram) THEN 0
            ELSE get_byte(histogram, 4 * bucket) + (get_byte(histogram, 4 * bucket + 1) << 8)
                 + (get_byte(histogram, 4 * bucket + 2) << 16)
                 + (get_byte(histogram, 4 * bucket + 3) << 24) END
$$
"""

HISTOGRAM_APPLY = r"""
CREATE FUNCTION duration_histogram_apply(histogram bytea, buckets int[], counts int[])
RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
-- Add sparse (bucket, count) pairs into a dense histogram (bucket b in bytes 4b to 4b + 3,
-- a little-endian int32).
DECLARE
    i int;
    at int;
    count int;
BEGIN
    histogram := coalesce(histogram, ''::bytea);
    FOR i IN 1 .. coalesce(cardinality(buckets), 0) LOOP
        at := 4 * buckets[i];
        IF at + 4 > length(histogram) THEN
            histogram := histogram || decode(repeat('00', at + 4 - length(histogram)), 'hex');
        END IF;
        count := duration_histogram_count(histogram, buckets[i]) + counts[i];
        histogram := set_byte(set_byte(set_byte(set_byte(histogram,
            at, count & 255), at + 1, (count >> 8) & 255),
            at + 2, (count >> 16) & 255), at + 3, (count >> 24) & 255);
    END LOOP;
    RETURN histogram;
END $$
"""

HISTOGRAM_ADD = r"""
CREATE FUNCTION duration_histogram_add(a bytea, b bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
-- Two dense histograms added.
DECLARE
    i int;
    buckets int[] := '{}';
    counts int[] := '{}';
BEGIN
    FOR i IN 0 .. length(b) / 4 - 1 LOOP
        IF duration_histogram_count(b, i) <> 0 THEN
            buckets := buckets || i;
            counts := counts || duration_histogram_count(b, i);
        END IF;
    END LOOP;
    RETURN duration_histogram_apply(a, buckets, counts);
END $$
"""

# int[] to bytes and back, for the stored rows (dropped once they are converted). To bytes:
# each element's big-endian int4send turned little-endian, in one aggregate (2.5 times as fast
# as applying every bucket with duration_histogram_apply: 0.1 ms a row of 245 buckets).
TO_BYTES = """
CREATE FUNCTION histogram_to_bytes(histogram int[]) RETURNS bytea LANGUAGE sql AS $$
SELECT coalesce(string_agg(substr(b, 4, 1) || substr(b, 3, 1) || substr(b, 2, 1) || substr(b, 1, 1),
                           ''::bytea ORDER BY i), ''::bytea)
FROM unnest(histogram) WITH ORDINALITY AS u(v, i), LATERAL (SELECT int4send(v) AS b) s
$$
"""
TO_ARRAY = """
CREATE FUNCTION histogram_to_array(histogram bytea) RETURNS int[] LANGUAGE sql AS $$
SELECT coalesce(array_agg(duration_histogram_count(histogram, b) ORDER BY b), '{}')
FROM generate_series(0, length(histogram) / 4 - 1) b
$$
"""

EMPTY_ARRAY = "duration_histogram_apply('{}',"
EMPTY_BYTES = "duration_histogram_apply(''::bytea,"


def _migration(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _writing_an_empty_histogram() -> dict[str, tuple[str, str, str]]:
    """The trigger functions of 0010 and 0017 that write an empty histogram, as they were."""
    functions = {
        **_migration("0010_rollup_functions_as_text").FUNCTIONS,
        **_migration("0017_persona_rollups").FUNCTIONS,
    }
    return {name: spec for name, spec in functions.items() if EMPTY_ARRAY in spec[2]}


# name: (arguments, what it returns, body); the text of 0010 and 0017 with the empty bytea.
FUNCTIONS = {
    name: (arguments, returns, body.replace(EMPTY_ARRAY, EMPTY_BYTES))
    for name, (arguments, returns, body) in _writing_an_empty_histogram().items()
}


def _replace(functions: dict[str, tuple[str, str, str]]) -> None:
    for name, (arguments, returns, body) in functions.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}({arguments}) RETURNS {returns} "
            f"LANGUAGE plpgsql AS $function${body}$function$"
        )


def upgrade() -> None:
    for function in (HISTOGRAM_COUNT, HISTOGRAM_APPLY, HISTOGRAM_ADD, TO_BYTES):
        op.execute(function)
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN histogram TYPE bytea "
            "USING histogram_to_bytes(histogram)"
        )
    _replace(FUNCTIONS)
    op.execute("DROP FUNCTION histogram_to_bytes(int[])")
    op.execute("DROP FUNCTION duration_histogram_add(int[], int[])")
    op.execute("DROP FUNCTION duration_histogram_apply(int[], int[], int[])")


def downgrade() -> None:
    earlier = _migration("0006_stage_rollups")
    op.execute(earlier.HISTOGRAM_APPLY)
    op.execute(earlier.HISTOGRAM_ADD)
    op.execute(TO_ARRAY)
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN histogram TYPE int[] "
            "USING histogram_to_array(histogram)"
        )
    _replace(_writing_an_empty_histogram())
    op.execute("DROP FUNCTION histogram_to_array(bytea)")
    op.execute("DROP FUNCTION duration_histogram_add(bytea, bytea)")
    op.execute("DROP FUNCTION duration_histogram_apply(bytea, int[], int[])")
    op.execute("DROP FUNCTION duration_histogram_count(bytea, int)")
