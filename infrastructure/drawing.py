"""Drawing the journey map's picture (domain.journey_map.picture) for every door that sends one:
the web exports and the Slack attachment.

vl-convert takes a CPU for a moment and holds it: drawings run in threads, a few at a time per
process. It also holds the GIL while it draws, so the event loop waits for a drawing all the
same (measured: a 1 ms loop beside a drawing thread got 17 turns in 3.6 s; `bench.soak` shows
the waits in every door's p99); drawing in processes of their own is the fix the README's soak
section describes.
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
