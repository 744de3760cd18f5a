"""The small shop journey the hand-checked metric tests share, and a reader for November."""

from datetime import date

from domain.metrics.stage_metrics import stage_metrics
from tests.support.factories import make_journey, make_touchpoint, make_workspace, stages_of

NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))


async def make_shop(session):
    """look (Ad Clicked: ad, Page Viewed: web) → cart (Cart Viewed) → buy (Order Completed),
    with a two-day conversion window; the workspace, the journey and its touchpoints by key."""
    workspace = await make_workspace(session)
    journey = await make_journey(
        session, workspace, stages=("look", "cart", "buy"), conversion_window_days=2
    )
    look, cart, buy = await stages_of(session, journey)
    touchpoints = {
        "ad": await make_touchpoint(session, look, channel="ad", event_names=("Ad Clicked",)),
        "web": await make_touchpoint(session, look, channel="web", event_names=("Page Viewed",)),
        "cart": await make_touchpoint(session, cart, event_names=("Cart Viewed",)),
        "buy": await make_touchpoint(session, buy, event_names=("Order Completed",)),
    }
    return workspace, journey, touchpoints


async def metrics(session, journey, period=NOVEMBER, **options):
    """The journey's stage metrics for `period` (November by default)."""
    await session.commit()  # readers read what is committed (domain.metrics.snapshot)
    return await stage_metrics(
        session,
        workspace_id=journey.workspace_id,
        journey_id=journey.id,
        start=period[0],
        end=period[1],
        **options,
    )
