"""KPI charts as PNG images (matplotlib, Agg canvas: headless, no global backend state)."""

import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from bot.kpi.metrics import Ctx, sla_report, types_report, volume_report
from bot.kpi.report import slug
from bot.kpi.service import KpiService
from bot.ranges import DateRange
from store.kpi.queries import feedback, frt_days
from store.kpi.sqlfn import local_days

CHARTS = ("volume", "frt", "sla", "types", "csat")
LONG_RANGE = 62  # more days than this: lines instead of bars


@dataclass(frozen=True)
class ChartData:
    """What to draw: categories on x, named series of values, and labels."""

    title: str
    x: list[str]
    series: dict[str, list[float]]
    y_label: str
    kind: str = "bar"  # bar | stacked | line | barh


def chart_data(session: Session, ctx: Ctx, metric: str) -> ChartData:
    """Collect the numbers a chart shows, from the same queries as the reports."""
    if metric == "volume":
        rows = volume_report(session, ctx).table("days").rows
        series = {"created": [r[1] for r in rows], "resolved": [r[2] for r in rows]}
        return ChartData(f"Tickets · {ctx.label}", [r[0] for r in rows], series, "tickets")
    if metric == "frt":
        days = local_days(ctx.timezone, ctx.start, ctx.end)
        by_day = frt_days.frt_by_day(
            session, start=ctx.start, end=ctx.end, now=ctx.now, timezone=ctx.timezone, days=days
        )
        hours = {
            "median": [_hours(by_day[d].median if d in by_day else None) for d in days],
            "p90": [_hours(by_day[d].p90 if d in by_day else None) for d in days],
        }
        return ChartData(f"First response time · {ctx.label}", days, hours, "hours", "line")
    if metric == "sla":
        rows = sla_report(session, ctx).table("days").rows
        series = {
            "first response": [r[1] for r in rows],
            "next response": [r[2] for r in rows],
            "resolution": [r[3] for r in rows],
        }
        return ChartData(
            f"SLA breaches · {ctx.label}", [r[0] for r in rows], series, "breaches", "stacked"
        )
    if metric == "types":
        rows = types_report(session, ctx).table("types").rows
        series = {"this range": [r[1] for r in rows], "previous": [r[2] for r in rows]}
        return ChartData(
            f"Ticket types · {ctx.label}", [r[0] for r in rows], series, "tickets", "barh"
        )
    if metric == "csat":
        counts = feedback.rating_counts(session, start=ctx.start, end=ctx.end)
        stars = [f"{n}★" for n in range(1, 6)]
        return ChartData(
            f"CSAT answers · {ctx.label}",
            stars,
            {"answers": [counts.get(n, 0) for n in range(1, 6)]},
            "answers",
        )
    raise ValueError(f"no chart for {metric!r}; charts: {', '.join(CHARTS)}")


def _hours(seconds: float | None) -> float:
    return float("nan") if seconds is None else seconds / 3600


def render_png(data: ChartData) -> bytes:
    """Draw a chart and return the PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    positions = list(range(len(data.x)))
    names = list(data.series)
    kind = data.kind
    if len(positions) > LONG_RANGE and kind in ("bar", "stacked"):
        # Hundreds of bars are slow to draw and unreadable; long ranges become areas/lines.
        kind = "area" if kind == "stacked" else "line"
    if kind == "area":
        axes.stackplot(positions, *(data.series[name] for name in names), labels=names)
    elif kind == "line":
        for name in names:
            axes.plot(
                positions,
                data.series[name],
                marker="o" if len(positions) < 40 else None,
                label=name,
            )
    elif kind == "barh":
        height = 0.8 / max(len(names), 1)
        for index, name in enumerate(names):
            axes.barh(
                [p + index * height for p in positions], data.series[name], height, label=name
            )
        axes.set_yticks([p + height * (len(names) - 1) / 2 for p in positions], data.x)
        axes.invert_yaxis()
        axes.set_xlabel(data.y_label)
    else:
        stacked = kind == "stacked"
        width = 0.8 if stacked else 0.8 / max(len(names), 1)
        bottom = [0.0] * len(positions)
        for index, name in enumerate(names):
            values = data.series[name]
            offsets = positions if stacked else [p + index * width for p in positions]
            axes.bar(offsets, values, width, bottom=bottom if stacked else None, label=name)
            if stacked:
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if data.kind != "barh":
        axes.set_ylabel(data.y_label)
        _day_ticks(axes, positions, data.x)
    axes.set_title(data.title)
    if len(names) > 1:
        axes.legend()
    axes.grid(axis="x" if data.kind == "barh" else "y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _day_ticks(axes: object, positions: Sequence[int], labels: Sequence[str]) -> None:
    step = max(1, len(labels) // 12)  # about a dozen labels whatever the range
    shown = list(positions)[::step]
    axes.set_xticks(shown, [labels[p][5:] if len(labels[p]) == 10 else labels[p] for p in shown])  # type: ignore[attr-defined]


def chart_png(service: KpiService, metric: str, date_range: DateRange) -> tuple[str, bytes]:
    """(file name, PNG) of a metric's chart over a range."""
    data = service.run(date_range, lambda session, ctx: chart_data(session, ctx, metric))
    return f"kpi-{metric}-{slug(date_range.label)}.png", render_png(data)
