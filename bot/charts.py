"""Every chart deskbot draws, built in one place so they share one look and one set of rules.

Counts get integer ticks from zero; durations get a unit a person reads (minutes under two
hours, hours up to two days, days beyond); titles wrap to the figure's width; the layout is
constrained so nothing is clipped; a panel with nothing to show says so on a 0..1 axis.
matplotlib is imported inside the functions: `deskbot --help` must not load it.
"""

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COUNT, DURATION = "count", "duration"  # what a panel's values are: their axis follows
PALETTE = ("#2f6db5", "#d9534f", "#5cb85c", "#f0ad4e", "#8c8c8c")
LONG_RANGE = 62  # more categories than this: bars become lines (or stacked areas)
DPI = 110
TITLE_SIZE = 12
# (unit name, seconds in it, shown up to this many seconds): minutes below 2 h, hours
# below 2 d, days beyond.
DURATION_UNITS = (("minutes", 60, 2 * 3600), ("hours", 3600, 2 * 86_400), ("days", 86_400, None))


@dataclass(frozen=True)
class Panel:
    """One set of axes: categories on x, named series of values, what the values are."""

    title: str
    x: list[str]
    series: dict[str, list[float]]
    unit: str = COUNT  # COUNT or DURATION (values in seconds)
    label: str = ""  # the counted thing ("tickets") or the measured one ("first response")
    kind: str = "bar"  # bar | stacked | line | barh


def duration_unit(seconds: Sequence[float]) -> tuple[str, int]:
    """(name, seconds per unit) that shows the largest of these durations readably."""
    finite = [s for s in seconds if s is not None and not math.isnan(s)]
    largest = max(finite, default=0.0)
    for name, size, up_to in DURATION_UNITS:
        if up_to is None or largest < up_to:
            return name, size
    raise AssertionError("unreachable: the last unit has no bound")


def figure(panels: Sequence[Panel], *, title: str | None = None, width: float = 9.0) -> "Figure":
    """A Figure with one row per panel, styled alike; `title` over all of them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = 4.5 if len(panels) == 1 else 2.4 * len(panels) + 0.8
    built = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(built)  # headless, and no pyplot global state
    axes_list = built.subplots(len(panels), 1, squeeze=False, sharex=len(panels) > 1)[:, 0]
    for axes, panel in zip(axes_list, panels, strict=True):
        _draw(axes, panel, width, titled=title is None or len(panels) > 1)
    if title is not None:
        built.suptitle(_fit(title, width, TITLE_SIZE + 1), fontsize=TITLE_SIZE + 1)
    return built


def png(built: "Figure") -> bytes:
    """The Figure as PNG bytes."""
    buffer = io.BytesIO()
    built.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _fit(text: str, width: float, size: float) -> str:
    """Wrap a title to the figure's width (about 0.55 em per character)."""
    per_line = max(20, int(width * 72 / (size * 0.55)))
    return textwrap.fill(text, per_line)


def _draw(axes: "Axes", panel: Panel, width: float, *, titled: bool) -> None:
    names = list(panel.series)
    values = dict(panel.series)
    value_label = panel.label
    if panel.unit == DURATION:
        unit, size = duration_unit([v for series in values.values() for v in series])
        values = {name: [v / size for v in series] for name, series in values.items()}
        value_label = f"{panel.label} ({unit})" if panel.label else unit
    kind = panel.kind
    positions = list(range(len(panel.x)))
    if len(positions) > LONG_RANGE and kind in ("bar", "stacked"):
        # Hundreds of bars are slow to draw and unreadable; long ranges become areas/lines.
        kind = "area" if kind == "stacked" else "line"
    colors = dict(zip(names, PALETTE * (1 + len(names) // len(PALETTE)), strict=False))
    if kind == "area":
        axes.stackplot(
            positions, *(values[n] for n in names), labels=names, colors=[colors[n] for n in names]
        )
    elif kind == "line":
        marker = "o" if len(positions) < 40 else None
        for name in names:
            axes.plot(positions, values[name], marker=marker, label=name, color=colors[name])
    elif kind == "barh":
        height = 0.8 / max(len(names), 1)
        for index, name in enumerate(names):
            offsets = [p + index * height for p in positions]
            axes.barh(offsets, values[name], height, label=name, color=colors[name])
        axes.set_yticks([p + height * (len(names) - 1) / 2 for p in positions], panel.x)
        axes.invert_yaxis()
    else:
        stacked = kind == "stacked"
        bar_width = 0.8 if stacked else 0.8 / max(len(names), 1)
        bottom = [0.0] * len(positions)
        for index, name in enumerate(names):
            offsets = positions if stacked else [p + index * bar_width for p in positions]
            axes.bar(
                offsets,
                values[name],
                bar_width,
                bottom=bottom if stacked else None,
                label=name,
                color=colors[name],
            )
            if stacked:
                bottom = [b + v for b, v in zip(bottom, values[name], strict=True)]
        if not stacked and len(names) > 1:
            # Grouped bars: the day's label under the middle of its group.
            shift = bar_width * (len(names) - 1) / 2
            positions = [p + shift for p in positions]
    horizontal = kind == "barh"
    if not horizontal:
        _category_ticks(axes, positions, panel.x, width)
    empty = not any(_finite(v) for series in values.values() for v in series)
    largest = _largest(values, stacked=kind in ("stacked", "area"))
    _value_axis(axes, horizontal=horizontal, integer=panel.unit == COUNT, largest=largest)
    if horizontal:
        axes.set_xlabel(value_label)
    else:
        axes.set_ylabel(value_label)
    if titled:
        axes.set_title(_fit(panel.title, width, TITLE_SIZE), fontsize=TITLE_SIZE, loc="left")
    if empty:
        axes.text(0.5, 0.5, "nothing in this range", transform=axes.transAxes, ha="center",
                  va="center", color="#8c8c8c")  # fmt: skip
    if len(names) > 1 and not empty:
        axes.legend(frameon=False, fontsize=9)
    axes.grid(axis="x" if horizontal else "y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)


def _finite(value: Any) -> bool:
    return value is not None and not math.isnan(value) and value != 0


def _largest(values: dict[str, list[float]], *, stacked: bool) -> float:
    """The tallest bar or point (stacked: the tallest stack); 0 when there is none."""
    clean = [[v if _finite(v) else 0.0 for v in series] for series in values.values()]
    if not clean:
        return 0.0
    if stacked:
        return max((sum(column) for column in zip(*clean, strict=True)), default=0.0)
    return max((max(series, default=0.0) for series in clean), default=0.0)


def _value_axis(axes: "Axes", *, horizontal: bool, integer: bool, largest: float) -> None:
    """From zero with a little headroom; integer ticks for counts; an empty panel 0..1
    (matplotlib would centre nothing on -0.04..0.04)."""
    from matplotlib.ticker import MaxNLocator

    axis = axes.xaxis if horizontal else axes.yaxis
    if integer:
        axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    top = largest * 1.1 if largest > 0 else 1.0
    if integer:
        top = max(top, 1.0)
    if horizontal:
        axes.set_xlim(0, top)
    else:
        axes.set_ylim(0, top)


def _category_ticks(
    axes: "Axes", positions: Sequence[float], labels: Sequence[str], width: float
) -> None:
    """About a label per inch; ISO days shown as MM-DD."""
    step = max(1, math.ceil(len(labels) / max(4, int(width * 1.4))))
    shown = list(range(0, len(labels), step))
    texts = [labels[i][5:] if len(labels[i]) == 10 and labels[i][4] == "-" else labels[i]
             for i in shown]  # fmt: skip
    axes.set_xticks([positions[i] for i in shown], texts)
    if len(shown) > 8:
        axes.tick_params(axis="x", labelrotation=45)
