"""What every door (GraphQL, Slack, ingestion) needs at run time, built once per process."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.alert.evaluation import CohortSource
from domain.metrics.cohorts import daily_cohorts
from journeyops.database import create_engine, create_sessionmaker, resolve_database_url
from journeyops.live import LiveListener
from journeyops.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    live: LiveListener  # started by the web app's lifespan; processes that do not serve skip it
    # Daily cohorts of a stage for alerts and backtests (tests swap in synthetic ones).
    cohorts: CohortSource = daily_cohorts

    @classmethod
    def create(cls, settings: Settings, database_url: str | None = None) -> "Runtime":
        url = database_url or resolve_database_url(settings)
        engine = create_engine(url)
        return cls(
            settings=settings,
            database_url=url,
            engine=engine,
            db=create_sessionmaker(engine),
            live=LiveListener(url),
        )

    async def close(self) -> None:
        await self.live.stop()
        await self.engine.dispose()
