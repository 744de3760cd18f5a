"""What a drawing process runs: vl-convert turning a Vega-Lite spec into PNG, SVG or PDF.

The processes of `infrastructure.drawing` import this module and nothing else of the app, so
it imports vl-convert alone: the spec arrives as JSON text and the format as its name. The
processes themselves are started from here too (`DrawingContext`).
"""

import json
import multiprocessing.context
import sys
import types

import vl_convert

VEGA_LITE_VERSION = "6.4"  # the version the page's vendored vega-lite is (web/static/vendor)
PNG_SCALE = 2  # sharp on high-density screens and in Slack
_SMALLEST_SPEC = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {}}


def render(spec_json: str, format: str) -> bytes:
    """The spec drawn as `format` ("png", "svg" or "pdf") by vl-convert (Vega's own renderer,
    in this process)."""
    vega_lite = json.loads(spec_json)
    if format == "png":
        return vl_convert.vegalite_to_png(vega_lite, vl_version=VEGA_LITE_VERSION, scale=PNG_SCALE)
    if format == "pdf":
        return vl_convert.vegalite_to_pdf(vega_lite, vl_version=VEGA_LITE_VERSION)
    if format == "svg":
        return vl_convert.vegalite_to_svg(vega_lite, vl_version=VEGA_LITE_VERSION).encode()
    raise ValueError(f"vl-convert draws png, svg or pdf, not {format!r}")


def warm_up() -> None:
    """Start vl-convert's engine and load the Vega-Lite version once, as the process starts,
    so the first picture asked for is not the one that waits for it (about a second)."""
    for format in ("svg", "png"):
        render(json.dumps(_SMALLEST_SPEC), format)


def ready() -> bool:
    """A task that only asks for the process (and its warm-up) to be there."""
    return True


class DrawingProcess(multiprocessing.context.SpawnProcess):
    """A spawned process that does not run the entry point again. multiprocessing re-imports
    the parent's `__main__` in every child it spawns, and the `journeyops` script imports the
    whole app (about 800 modules; a drawing process holds 140); hidden while it starts, the child
    imports only what unpickling its tasks needs: this module, where this class lives for that
    reason (the process object is unpickled in the child). Nothing of the app is in `__main__`."""

    def start(self) -> None:
        entry_point = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            super().start()
        finally:
            sys.modules["__main__"] = entry_point


class DrawingContext(multiprocessing.context.SpawnContext):
    Process = DrawingProcess
