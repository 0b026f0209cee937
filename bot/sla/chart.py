"""A chart of `deskbot sla whatif`: breaches per day due, current beside proposed (PNG),
drawn by `bot.charts` like every other chart."""

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot import charts
from bot.charts import COUNT, Panel
from bot.sla.whatif import TARGETS, Comparison

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LABELS = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


def whatif_figure(result: Comparison, *, title: str) -> "Figure":
    """One panel per target: bars of breaches per day due, current and proposed side by side."""
    days = sorted({day for side in result.by_day.values() for day, _ in side})
    labels = [f"{day:%d %b}" for day in days]
    panels = [
        Panel(
            f"{LABELS[target]} breaches",
            labels,
            {
                side: [float(_breached(result, side, day, target)) for day in days]
                for side in ("current", "proposed")
            },
            COUNT,
            "breaches",
        )
        for target in TARGETS
    ]
    return charts.figure(panels, title=title, width=max(7.0, min(16.0, 0.45 * len(days) + 3)))


def write_whatif_chart(result: Comparison, path: Path, *, title: str) -> None:
    """Write the what-if chart as a PNG file."""
    path.write_bytes(charts.png(whatif_figure(result, title=title)))


def _breached(result: Comparison, side: str, day: date, target: str) -> int:
    tally = result.by_day.get(side, {}).get((day, target))
    return tally.breached if tally is not None else 0
