"""Histograms as the rollups store them (little-endian int32 bytes, a bucket each: migration
0020), kept by the database's histogram functions and read by the readers as integers that
sum and take away bucket for bucket."""

import random

import pytest

from domain.metrics.daily_rollups import _locate, packed, unpacked
from domain.pg import connection_of


def trimmed(histogram: list[int]) -> list[int]:
    """Without empty buckets at the end (unpacking has none)."""
    histogram = list(histogram)
    while histogram and not histogram[-1]:
        histogram.pop()
    return histogram


async def stored(session, sparse: dict[int, int]) -> bytes:
    """A histogram as a rollup trigger writes it: sparse (bucket, count) pairs applied."""
    connection = await connection_of(session)
    return await connection.fetchval(
        "SELECT duration_histogram_apply(''::bytea, $1::int[], $2::int[])",
        list(sparse),
        list(sparse.values()),
    )


async def test_a_stored_histogram_unpacks_to_its_buckets(session):
    for sparse, dense in (
        ({0: 3, 2: 7}, [3, 0, 7]),
        ({}, []),
        ({4: 2**31 - 1, 0: 1}, [1, 0, 0, 0, 2**31 - 1]),
    ):
        assert unpacked(packed(await stored(session, sparse))) == dense


async def test_the_database_adds_to_and_takes_from_a_stored_histogram(session):
    connection = await connection_of(session)
    histogram = await stored(session, {1: 5, 3: 2})
    histogram = await connection.fetchval(
        "SELECT duration_histogram_apply($1, '{3, 6}', '{-2, 4}')", histogram
    )
    assert unpacked(packed(histogram)) == [0, 5, 0, 0, 0, 0, 4]
    longer = await stored(session, {0: 1, 9: 300})
    added = await connection.fetchval("SELECT duration_histogram_add($1, $2)", histogram, longer)
    assert unpacked(packed(added)) == [1, 5, 0, 0, 0, 0, 4, 0, 0, 300]
    counts = await connection.fetch(
        "SELECT b, duration_histogram_count($1, b) AS n FROM generate_series(0, 11) b", added
    )
    assert [row["n"] for row in counts] == [1, 5, 0, 0, 0, 0, 4, 0, 0, 300, 0, 0]


async def test_packed_histograms_sum_and_take_away_bucket_for_bucket(session):
    rng = random.Random(5)
    histograms = [
        {b: rng.randrange(2**24) for b in rng.sample(range(400), rng.randrange(1, 60))}
        for _ in range(40)
    ]
    taken = histograms[:10]  # a sum less some of its parts, as corrections take rows back
    total = sum([packed(await stored(session, h)) for h in histograms])
    total -= sum([packed(await stored(session, h)) for h in taken])
    expected = [0] * 400
    for histogram in histograms[10:]:
        for bucket, count in histogram.items():
            expected[bucket] += count
    assert unpacked(total) == trimmed(expected)


def walked(histogram: list[int], rank: int) -> tuple[int, int]:
    """The bucket holding the rank-th smallest duration and its offset, bucket by bucket."""
    before = 0
    for bucket, count in enumerate(histogram):
        if rank < before + count:
            return bucket, rank - before
        before += count
    raise AssertionError("beyond the histogram")


@pytest.mark.pure
def test_a_rank_is_located_in_its_bucket_past_empty_ones():
    rng = random.Random(11)
    for _ in range(200):
        histogram = [rng.choice((0, 0, 1, 2, 7)) for _ in range(rng.randrange(1, 40))]
        total = sum(histogram)
        if not total:
            continue
        ranks = sorted(rng.sample(range(total), min(total, 4)))
        assert _locate(histogram, ranks) == [walked(histogram, rank) for rank in ranks]
    assert _locate([0, 3, 0, 0, 2], [0, 2, 3, 4]) == [(1, 0), (1, 2), (4, 0), (4, 1)]
    with pytest.raises(ValueError, match="rank 5 beyond a histogram of 5"):
        _locate([0, 3, 0, 0, 2], [5])
