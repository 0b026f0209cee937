"""Charts drawn on the server as SVG: no script, no network, every point a link.

A chart is categories on x and one or more named series; each bar or point is an `<a>`
to the tickets behind it, with a `<title>` (the tooltip and what a screen reader says) and
keyboard focus. Colours follow bot/charts.py so the PNGs in Slack and the web look alike.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from bot.charts import PALETTE

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 34
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Point:
    """One value of a series, what it reads as, and where it drills down to."""

    value: float | None
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Series:
    """A named row of points, one per category."""

    name: str
    points: list[Point]


@dataclass(frozen=True)
class Chart:
    """What to draw: `bar` (grouped), `stacked` or `line`."""

    title: str
    categories: list[str]
    series: list[Series]
    kind: str = "bar"  # bars and stacks count things; lines measure them
    axis: Callable[[float], str] = lambda value: f"{value:g}"
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return not any(p.value for s in self.series for p in s.points)


def nice_max(value: float, *, whole: bool = False) -> float:
    """A round number at or above `value` for the top of a four-line axis (1, 2, 4, 8 or
    10 x 10^n); `whole`: a multiple of 4, so counts get whole-number lines."""
    if whole:
        return float(max(4, math.ceil(value / 4) * 4))
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def render(chart: Chart) -> Markup:
    """The chart as an inline `<svg>` element."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(chart.categories), 1)
    values = [p.value or 0.0 for s in chart.series for p in s.points]
    if chart.kind == "stacked":
        values = [
            sum(s.points[i].value or 0.0 for s in chart.series)
            for i in range(len(chart.categories))
        ]
    top = nice_max(max(values, default=0.0), whole=chart.kind != "line")

    def y(value: float) -> float:
        return TOP + plot_h - (value / top) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(5):  # grid and y labels
        level = top * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" '
            f'y2="{y(level):.1f}"/><text class="axis" x="{LEFT - 6}" y="{y(level) + 4:.1f}" '
            f'text-anchor="end">{escape(chart.axis(level))}</text>'
        )
    slot = plot_w / n
    every = max(1, math.ceil(n / MAX_X_LABELS))
    for i, category in enumerate(chart.categories):
        if i % every == 0:
            x = LEFT + slot * (i + 0.5)
            parts.append(
                f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(_short(category))}</text>'
            )
    if chart.kind == "line":
        parts += _lines(chart, slot, y)
    else:
        parts += _bars(chart, slot, y)
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(category: str) -> str:
    """2026-11-03 -> 11-03 (the year is in the range above the chart)."""
    return category[5:] if len(category) == 10 and category[4] == "-" else category


def _link(point: Point, label: str, shape: str) -> str:
    tip = f"<title>{escape(label)}: {escape(point.text)}</title>"
    if point.href is None:
        return f"<g>{tip}{shape}</g>"
    said = f"{escape(label)}: {escape(point.text)}"
    return f'<a href="{escape(point.href)}" aria-label="{said}">{tip}{shape}</a>'


def _bars(chart: Chart, slot: float, y: Callable[[float], float]) -> list[str]:
    parts = []
    stacked = chart.kind == "stacked"
    count = 1 if stacked else max(len(chart.series), 1)
    width = max(slot * 0.8 / count, 1.0)
    base = [0.0] * len(chart.categories)
    for index, series in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        for i, point in enumerate(series.points):
            value = point.value or 0.0
            x = LEFT + slot * i + slot * 0.1 + (0 if stacked else width * index)
            low = base[i] if stacked else 0.0
            top, bottom = y(low + value), y(low)
            height = max(bottom - top, 1.0 if value else 0.0)
            shape = (
                f'<rect x="{x:.1f}" y="{bottom - height:.1f}" width="{width:.1f}" '
                f'height="{height:.1f}" fill="{colour}"/>'
            )
            if stacked:
                base[i] += value
            if value or point.href:
                parts.append(_link(point, f"{chart.categories[i]} · {series.name}", shape))
    return parts


def _lines(chart: Chart, slot: float, y: Callable[[float], float]) -> list[str]:
    parts = []
    for index, series in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        xy = [
            (LEFT + slot * (i + 0.5), y(point.value))
            for i, point in enumerate(series.points)
            if point.value is not None
        ]
        if len(xy) > 1:
            path = " ".join(f"{x:.1f},{v:.1f}" for x, v in xy)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for i, point in enumerate(series.points):
            if point.value is None:
                continue
            x = LEFT + slot * (i + 0.5)
            shape = f'<circle cx="{x:.1f}" cy="{y(point.value):.1f}" r="4" fill="{colour}"/>'
            parts.append(_link(point, f"{chart.categories[i]} · {series.name}", shape))
    return parts
