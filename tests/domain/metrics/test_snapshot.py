"""Readers of metrics read on a connection of their own; under load they take it from a pool of
their own, or callers, each holding a connection of the main pool while their reading waits
for another, would starve that pool."""

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.metrics.snapshot import READERS
from domain.metrics.stage_metrics import stage_metrics
from domain.unit_of_work import Transactions
from infrastructure.database import create_engine, create_sessionmaker
from tests.support.factories import make_journey, make_workspace

CALLERS = 6  # three times what each pool holds


@pytest.fixture
async def journey(db):
    async with db.begin() as session:
        return await make_journey(session, await make_workspace(session))


def _pool(database_url, timeout: float):
    return create_engine(database_url, pool_size=2, max_overflow=0, pool_timeout=timeout)


async def _callers(transactions: Transactions, journey) -> list:
    async def read():
        async with transactions() as session:
            await session.execute(select(1))  # holds a connection of the main pool
            return await stage_metrics(
                session,
                workspace_id=journey.workspace_id,
                journey_id=journey.id,
                start=date.today() - timedelta(days=7),
                end=date.today(),
            )

    return await asyncio.gather(*(read() for _ in range(CALLERS)))


async def test_more_callers_than_the_pool_holds_all_get_their_figures(database_url, journey):
    main, readers = _pool(database_url, 10), _pool(database_url, 10)
    try:
        transactions = Transactions(create_sessionmaker(main), session_info={READERS: readers})
        read = await _callers(transactions, journey)
        assert [len(metrics.stages) for metrics in read] == [len(read[0].stages)] * CALLERS
    finally:
        await main.dispose()
        await readers.dispose()


async def test_on_the_callers_own_pool_they_would_starve_it(database_url, journey):
    """What the readers' pool prevents: every connection held by a caller whose reading waits
    for one more."""
    main = _pool(database_url, 1)
    try:
        with pytest.raises(PoolTimeout):
            await _callers(Transactions(create_sessionmaker(main)), journey)
    finally:
        await main.dispose()
