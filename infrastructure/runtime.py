"""What every door (GraphQL, Slack, ingestion) needs at run time, built once per process."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.alert.evaluation import CohortSource
from domain.metrics.cohorts import daily_cohorts
from domain.metrics.snapshot import READERS
from domain.unit_of_work import Transactions
from infrastructure.database import create_engine, create_sessionmaker, resolve_database_url
from infrastructure.figures_notices import FiguresNotices
from infrastructure.folding import BackgroundFolder
from infrastructure.live import LiveListener
from infrastructure.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]  # the folder's and the token stores' own sessions
    # everything else opens `transaction()`
    live: LiveListener  # started by the web app's lifespan; processes that do not serve skip it
    folder: BackgroundFolder  # folds ingested batches into metrics after they commit
    figures: FiguresNotices  # tells map pages whose figures the folder moved
    transaction: Transactions  # one unit of work per use case, for every door
    # Daily cohorts of a stage for alerts and backtests (tests swap in synthetic ones).
    cohorts: CohortSource = daily_cohorts
    # The wall clock credentials expire by (tests move it instead of waiting).
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Metrics readers' own pool (domain.metrics.snapshot), apart from `engine`'s.
    readers: AsyncEngine | None = None

    @classmethod
    def create(cls, settings: Settings, database_url: str | None = None) -> "Runtime":
        url = database_url or resolve_database_url(settings)
        engine = create_engine(url)
        # Every statement of a metrics reader, the workspace's catch-up fold included, is
        # stopped after the time allowed (domain.metrics.snapshot tells the reader).
        timeout = {"statement_timeout": str(round(settings.read_timeout_seconds * 1000))}
        readers = create_engine(url, connect_args={"server_settings": timeout})
        db = create_sessionmaker(engine)
        figures = FiguresNotices(db)
        folder = BackgroundFolder(db, enabled=settings.web_fold, on_folded=figures.folded)
        return cls(
            settings=settings,
            database_url=url,
            engine=engine,
            db=db,
            live=LiveListener(url),
            folder=folder,
            figures=figures,
            # A batch stored through any door is folded soon after it commits.
            transaction=Transactions(
                db, on_batch_stored=folder.nudge, session_info={READERS: readers}
            ),
            readers=readers,
        )

    async def close(self) -> None:
        await self.folder.close()
        await self.figures.close()
        await self.live.stop()
        await self.engine.dispose()
        if self.readers is not None:
            await self.readers.dispose()
