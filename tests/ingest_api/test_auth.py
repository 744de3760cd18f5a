"""The write-token cache: how long a check is trusted, on a clock the test moves."""

import uuid

import pytest

from domain.vocabulary import TokenScope
from ingest_api.auth import CACHE_SECONDS, CheckedTokens, Writer

pytestmark = pytest.mark.pure

WRITER = Writer(uuid.uuid4(), TokenScope.WRITE)


def test_a_check_is_trusted_for_cache_seconds_and_not_an_instant_longer():
    cache = CheckedTokens()
    cache.keep("jo_secret", WRITER, checked_at=100.0)
    assert cache.get("jo_secret", 100.0 + CACHE_SECONDS - 0.001) == WRITER
    assert cache.get("jo_secret", 100.0 + CACHE_SECONDS) is None


def test_a_forgotten_secret_is_checked_again():
    cache = CheckedTokens()
    cache.keep("jo_secret", WRITER, checked_at=100.0)
    cache.forget("jo_secret")
    assert cache.get("jo_secret", 100.0) is None


def test_a_full_cache_starts_over():
    cache = CheckedTokens(size=2)
    cache.keep("jo_a", WRITER, checked_at=0.0)
    cache.keep("jo_b", WRITER, checked_at=0.0)
    cache.keep("jo_c", WRITER, checked_at=0.0)
    assert [cache.get(s, 0.0) for s in ("jo_a", "jo_b", "jo_c")] == [None, None, WRITER]
