"""Drawing the journey map's picture (domain.journey_map.picture) for every door that sends one:
the web exports and the Slack attachment.

vl-convert takes a CPU for a moment and holds it: drawings run in threads, a few at a time per
process, so the event loop keeps answering while they do.
"""

import asyncio

from domain.journey_map import picture
from domain.journey_map.service import JourneyMap

DRAWINGS_AT_ONCE = 2
_drawing = asyncio.Semaphore(DRAWINGS_AT_ONCE)


async def draw(journey_map: JourneyMap, format: picture.Format) -> bytes:
    """The map's picture in `format`, drawn off the event loop."""
    async with _drawing:
        return await asyncio.to_thread(picture.render, picture.spec(journey_map), format)
