"""Charts a lead would show their boss: integer count ticks from zero, durations in a unit
people read, titles that fit, empty panels that say so; one module draws them all.

Each test reads the built Figure's axes and saves the PNG in test-artifacts/ to look at.
"""

from datetime import date
from pathlib import Path

import pytest

from bot import charts
from bot.charts import COUNT, DURATION, Panel, duration_unit
from bot.kpi.chart import chart_figure
from bot.sla.chart import whatif_figure
from bot.sla.whatif import Comparison, Tally

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DAYS = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"]


def save(figure, name: str) -> None:
    """Keep the PNG for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"chart-{name}.png").write_bytes(charts.png(figure))


def value_ticks(axes, horizontal: bool = False) -> list[float]:
    """The tick values inside the axis' limits."""
    low, high = axes.get_xlim() if horizontal else axes.get_ylim()
    ticks = axes.get_xticks() if horizontal else axes.get_yticks()
    return [t for t in ticks if low <= t <= high]


def test_counts_get_integer_ticks_from_zero():
    series = {"created": [1, 0, 1, 0, 1], "resolved": [0, 1, 0, 1, 0]}
    panel = Panel("Tickets · 5 days", DAYS, series, COUNT, "tickets")
    figure = chart_figure(panel)
    save(figure, "volume")
    (axes,) = figure.axes
    ticks = value_ticks(axes)
    assert ticks and all(float(t).is_integer() for t in ticks)  # no "0.5 tickets"
    assert axes.get_ylim()[0] == 0 and axes.get_ylabel() == "tickets"


def test_horizontal_counts_too():
    panel = Panel("Ticket types", ["billing", "login"], {"this range": [1, 2], "previous": [0, 1]},
                  COUNT, "tickets", "barh")  # fmt: skip
    figure = chart_figure(panel)
    save(figure, "types")
    (axes,) = figure.axes
    ticks = value_ticks(axes, horizontal=True)
    assert ticks and all(float(t).is_integer() for t in ticks) and axes.get_xlim()[0] == 0


@pytest.mark.parametrize(
    ("largest", "unit"),
    [(340, "minutes"), (7199, "minutes"), (7200, "hours"), (40 * 3600, "hours"),
     (3 * 86_400, "days")],
)  # fmt: skip
def test_durations_take_a_unit_people_read(largest, unit):
    assert duration_unit([0.0, float("nan"), largest])[0] == unit


def test_first_response_in_minutes_not_fractions_of_an_hour():
    nan = float("nan")
    series = {"median": [330, 345, nan, 352, 340], "p90": [340, 350, nan, 353, 345]}
    panel = Panel("First response time", DAYS, series, DURATION, "first response", "line")
    figure = chart_figure(panel)
    save(figure, "frt")
    (axes,) = figure.axes
    assert axes.get_ylabel() == "first response (minutes)"
    assert axes.get_ylim()[0] == 0 and 5.8 < axes.get_ylim()[1] < 10  # about 5.9 minutes


def test_an_empty_panel_is_zero_to_one_and_says_so():
    panel = Panel("SLA breaches", DAYS, {"first response": [0] * 5, "resolution": [0] * 5},
                  COUNT, "breaches", "stacked")  # fmt: skip
    figure = chart_figure(panel)
    save(figure, "empty")
    (axes,) = figure.axes
    assert axes.get_ylim() == (0, 1)  # not -0.04..0.04
    assert [t.get_text() for t in axes.texts] == ["nothing in this range"]


def test_the_whatif_chart_title_fits_and_every_panel_counts_in_integers():
    result = Comparison()
    days = [date(2026, 11, d) for d in range(2, 23)]
    for side, step in (("current", 3), ("proposed", 2)):
        result.by_day[side] = {
            (day, "first_response"): Tally(clocks=4, breached=i % step)
            for i, day in enumerate(days)
        }
    title = "SLA breaches 2026-11-02..2026-11-22: current vs a-much-stricter-enterprise-policy"
    figure = whatif_figure(result, title=title)
    save(figure, "whatif")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    box = figure._suptitle.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width  # inside the image: not clipped
    assert len(figure.axes) == 3
    for axes in figure.axes:
        ticks = value_ticks(axes)
        assert ticks and all(float(t).is_integer() for t in ticks) and axes.get_ylim()[0] == 0
    empty = figure.axes[1]  # no next-response breach on either side
    assert empty.get_ylim() == (0, 1)


def test_charts_draw_in_one_style():
    panels = [Panel("a", DAYS, {"x": [1, 2, 3, 4, 5]}), Panel("b", DAYS, {"x": [0, 0, 1, 0, 0]})]
    figure = charts.figure(panels, title="two panels")
    for axes in figure.axes:
        assert not axes.spines["top"].get_visible() and not axes.spines["right"].get_visible()
    assert figure.get_layout_engine() is not None  # constrained: nothing clipped
