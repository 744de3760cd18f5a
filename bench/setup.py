"""What both benchmarks share: a fresh migrated database and a five-stage shop journey."""

import asyncio
import time
import uuid
from dataclasses import dataclass

from domain.by_name import journey as journey_by_name
from domain.journey import service as journey_service
from domain.journey.service import StageSpec
from domain.stage import service as stage_service
from domain.touchpoint import service as touchpoint_service
from domain.workspace import service as workspace_service
from infrastructure.database import create_engine, create_sessionmaker
from journeyops import migrations
from tests.support.database import create_database, drop_database, server_url

STAGES = {
    "awareness": (("Ad Clicked", "ad"), ("Search Landing", "search")),
    "consideration": (("Product Viewed", "web"), ("Review Read", "review")),
    "decision": (("Checkout Started", "web"), ("Support Chat", "chat")),
    "retention": (("Order Completed", "web"), ("Newsletter Opened", "email")),
    "advocacy": (("Review Written", "review"), ("Referral Sent", "referral")),
}


@dataclass
class Shop:
    url: str
    workspace_id: uuid.UUID
    journey_id: uuid.UUID
    stage_events: list[list[str]]


async def fresh_shop(url: str | None = None) -> Shop:
    """A new database (or the one at `url`) holding the shop journey."""
    if url is None:
        url = await create_database(server_url(), prefix="journeyops_bench_")
        await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            workspace, _ = await workspace_service.get_or_create(session, name="bench")
            journey = await journey_by_name.get_by_name(
                session, workspace_id=workspace.id, name="shop"
            )
            if journey is None:
                journey = await journey_service.create(
                    session,
                    workspace_id=workspace.id,
                    name="shop",
                    timezone="Europe/Paris",
                    stages=[StageSpec(name) for name in STAGES],
                )
                stages = await stage_service.list_for_journey(
                    session, workspace_id=workspace.id, journey_id=journey.id
                )
                for stage in stages:
                    for event, channel in STAGES[stage.name]:
                        await touchpoint_service.add(
                            session,
                            workspace_id=workspace.id,
                            stage_id=stage.id,
                            name=event,
                            channel=channel,
                            event_names=[event],
                        )
    finally:
        await engine.dispose()
    return Shop(
        url,
        workspace.id,
        journey.id,
        [[e for e, _ in touchpoints] for touchpoints in STAGES.values()],
    )


async def drop(shop: Shop) -> None:
    await drop_database(shop.url)


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start
