"""Drawing the journey map's picture (domain.journey_map.picture) for every door that sends one:
the web exports and the Slack attachment.

vl-convert takes a CPU for a moment and holds Python's GIL while it draws: in a thread of the
web process, every request waited for each drawing (`bench.soak`'s p99s near 0.5 s). So the
pictures are drawn in processes of their own, at most `DRAWINGS_AT_ONCE` (more wait their
turn): a pool started once (`warm_up`, in the web app's startup, or by the first drawing) and
shut down with the app. The processes are spawned, not forked (a fork of a running event loop
with its threads and connections is unsafe); each imports `infrastructure.drawing_worker` and
nothing else of the app (`drawing_worker.DrawingProcess`), and starts vl-convert's engine
before its first task, so the first export does not wait for it.
"""

import asyncio
import json
import logging
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from domain.journey_map import picture
from domain.journey_map.service import JourneyMap
from infrastructure import drawing_worker

DRAWINGS_AT_ONCE = 2
DRAWING_TIMEOUT = 30.0  # seconds, waiting for a free process included

log = logging.getLogger(__name__)


class DrawingFailed(Exception):
    """The picture could not be drawn: vl-convert failed, its process died, or it took longer
    than `DRAWING_TIMEOUT`."""


class _Drawers:
    """The pool of drawing processes, started when first needed."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # `warm_up` starts the pool from a thread

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=DRAWINGS_AT_ONCE,
                    mp_context=drawing_worker.DrawingContext(),
                    initializer=drawing_worker.warm_up,
                )
            return self._pool

    def start_every_process(self) -> None:
        """The pool starts a process per task waiting while it has fewer than its maximum:
        one task per process starts them all (each warms up before taking its task)."""
        pool = self.pool()
        try:
            for ready in [pool.submit(drawing_worker.ready) for _ in range(DRAWINGS_AT_ONCE)]:
                ready.result()
        except BrokenProcessPool:
            self.discard(pool)
            raise

    def discard(self, pool: ProcessPoolExecutor) -> None:
        """Drop a broken pool; the next drawing starts a new one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def shut_down(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_drawers = _Drawers()


async def draw(journey_map: JourneyMap, format: picture.Format) -> bytes:
    """The map's picture in `format`, drawn in a drawing process while the event loop goes
    on answering."""
    spec_json = json.dumps(picture.spec(journey_map))
    pool = _drawers.pool()
    try:
        drawing = asyncio.wrap_future(pool.submit(drawing_worker.render, spec_json, format.value))
        return await asyncio.wait_for(drawing, DRAWING_TIMEOUT)
    except TimeoutError as error:
        took = f"drawing the {format.value} took over {DRAWING_TIMEOUT:g} s"
        raise DrawingFailed(took) from error
    except BrokenProcessPool as error:
        _drawers.discard(pool)
        raise DrawingFailed(f"the process drawing the {format.value} stopped") from error
    except Exception as error:
        raise DrawingFailed(f"vl-convert could not draw the {format.value}: {error}") from error


async def warm_up() -> None:
    """Start and warm every drawing process (about a second each, in the background of the
    web app's startup); a failure here is logged, and the first drawing tries again."""
    try:
        await asyncio.to_thread(_drawers.start_every_process)
    except Exception:
        log.exception("the drawing processes did not start; the first picture will retry")


async def shut_down() -> None:
    """Stop the drawing processes (a drawing under way finishes first)."""
    await asyncio.to_thread(_drawers.shut_down)
