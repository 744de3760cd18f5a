"""The journey map's picture as one Vega-Lite spec: the funnel (customers entering each stage,
labelled with their conversion) and the emotion curve (the sentiment staff recorded against
the emotion expected), stages left to right, an open alert marked in words above its stage.

The page draws it with vega-embed and the exports draw it with vl-convert
(`infrastructure.drawing`), so both show the same picture. Pure: the spec is a plain dict made
from a `JourneyMap`. Nothing here relies on colour alone: series differ in shape and stroke
too, and figures are written out.
"""

import re
from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal

from domain.journey_map.service import JourneyMap, MapStage

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
HEIGHT = 260
EXPORT_WIDTH = 960
SENTIMENT = "Sentiment recorded"
EXPECTED = "Emotion expected"
INK = "#1f2933"
FUNNEL = "#9fb3c8"
CURVE = "#7b3fb5"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _row(stage: MapStage, last: bool) -> dict[str, Any]:
    figures = stage.figures
    label = f"{figures.entered:,} entered"
    if not last:
        label += f" · {_percent(figures.conversion_rate)} convert"
    return {
        "stage": f"{figures.position + 1}. {figures.stage}",
        "position": figures.position,
        "entered": figures.entered,
        "label": label,
        "alert": "⚠ open alert" if stage.alerts else "",
        SENTIMENT: stage.emotions.sentiment,
        EXPECTED: stage.emotions.expected_score,
    }


def _subtitle(journey_map: JourneyMap) -> str:
    period = journey_map.period
    last = period.end - timedelta(days=1)
    parts = [f"{period.start:%-d %b %Y} – {last:%-d %b %Y} ({period.days} days)"]
    if journey_map.persona is not None:
        parts.append(f"persona {journey_map.persona.name}")
    if journey_map.channel is not None:
        parts.append(f"entry channel {journey_map.channel.value}")
    return " · ".join(parts)


def description(journey_map: JourneyMap) -> str:
    """What a screen reader announces for the chart: every stage's figures in words."""
    stages = "; ".join(
        f"{s.figures.stage}: {s.figures.entered} entered, conversion "
        f"{_percent(s.figures.conversion_rate)}, sentiment "
        + ("none recorded" if s.emotions.sentiment is None else f"{s.emotions.sentiment:+.1f}")
        + (", open alert" if s.alerts else "")
        for s in journey_map.stages
    )
    return f"Funnel and emotion curve of {journey_map.journey.name}. {stages}."


def _series(looks: list[Any]) -> dict[str, Any]:
    """How the recorded and the expected sentiment look apart (stroke, shape), with one
    legend naming them."""
    return {
        "field": "series",
        "type": "nominal",
        "scale": {"domain": [SENTIMENT, EXPECTED], "range": looks},
        "legend": {"title": None, "orient": "top"},
    }


def spec(
    journey_map: JourneyMap, *, width: int | Literal["container"] = EXPORT_WIDTH
) -> dict[str, Any]:
    """The Vega-Lite spec of the map's funnel and emotion curve."""
    count = len(journey_map.stages)
    rows = [_row(stage, n == count - 1) for n, stage in enumerate(journey_map.stages)]
    stage_axis = {
        "field": "stage",
        "type": "ordinal",
        "sort": {"field": "position", "op": "min"},
        "title": None,
        "axis": {"labelAngle": 0, "labelLimit": 160, "labelFontSize": 12},
    }
    funnel = {
        "layer": [
            {
                "mark": {"type": "bar", "color": FUNNEL, "stroke": INK, "strokeWidth": 0.5},
                "encoding": {
                    "y": {
                        "field": "entered",
                        "type": "quantitative",
                        "title": "Customers entered",
                        "axis": {"titleColor": INK},
                    }
                },
            },
            {
                "mark": {"type": "text", "dy": -8, "color": INK, "fontSize": 12},
                "encoding": {
                    "y": {"field": "entered", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            },
            {
                "mark": {
                    "type": "text",
                    "dy": -10,
                    "baseline": "bottom",
                    "fontWeight": "bold",
                    "color": "#b3261e",
                    "fontSize": 13,
                },
                "encoding": {"text": {"field": "alert"}, "y": {"value": "height"}},
            },
        ]
    }
    curve = {
        "transform": [{"fold": [SENTIMENT, EXPECTED], "as": ["series", "score"]}],
        "encoding": {
            "y": {
                "field": "score",
                "type": "quantitative",
                "scale": {"domain": [-2, 2]},
                "title": "Sentiment (−2 to +2)",
                "axis": {"orient": "right", "titleColor": CURVE},
            },
        },
        "layer": [
            {
                "mark": {"type": "line", "color": CURVE, "strokeWidth": 2},
                "encoding": {"strokeDash": _series([[1, 0], [4, 3]])},
            },
            {
                "mark": {"type": "point", "color": CURVE, "filled": True, "size": 90},
                "encoding": {"shape": _series(["circle", "diamond"])},
            },
        ],
    }
    return {
        "$schema": SCHEMA,
        "description": description(journey_map),
        "title": {
            "text": journey_map.journey.name,
            "subtitle": _subtitle(journey_map),
            "anchor": "start",
            "color": INK,
        },
        "width": width,
        "height": HEIGHT,
        "background": "white",
        "padding": 12,
        "autosize": {"type": "fit", "contains": "padding"},
        "data": {"values": rows},
        "encoding": {"x": stage_axis},
        "layer": [funnel, curve],
        "resolve": {"scale": {"y": "independent"}},
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }


class Format(StrEnum):
    PNG = "png"
    SVG = "svg"
    PDF = "pdf"


MEDIA_TYPES = {Format.PNG: "image/png", Format.SVG: "image/svg+xml", Format.PDF: "application/pdf"}


def file_name(journey_map: JourneyMap, format: Format) -> str:
    """What a drawing of the map is saved as: the journey and the period, in plain letters."""
    slug = re.sub(r"[^a-z0-9]+", "-", journey_map.journey.name.lower()).strip("-") or "journey"
    period = journey_map.period
    return f"{slug[:60]}-{period.start.isoformat()}-{period.end.isoformat()}.{format.value}"
