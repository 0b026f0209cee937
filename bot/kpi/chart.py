"""KPI charts as PNG images: the numbers from the same queries as the reports, drawn by
`bot.charts` (one look for every chart deskbot makes)."""

from typing import TYPE_CHECKING

from sqlmodel import Session

from bot import charts
from bot.charts import COUNT, DURATION, Panel
from bot.kpi.metrics import Ctx, sla_report, types_report, volume_report
from bot.kpi.report import slug
from bot.kpi.service import KpiService
from bot.ranges import DateRange
from store.kpi.queries import feedback, frt_days
from store.kpi.sqlfn import local_days

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHARTS = ("volume", "frt", "sla", "types", "csat")


def chart_data(session: Session, ctx: Ctx, metric: str) -> Panel:
    """Collect the numbers a chart shows, from the same queries as the reports."""
    if metric == "volume":
        rows = volume_report(session, ctx).table("days").rows
        series = {"created": [r[1] for r in rows], "resolved": [r[2] for r in rows]}
        return Panel(f"Tickets · {ctx.label}", [r[0] for r in rows], series, COUNT, "tickets")
    if metric == "frt":
        days = local_days(ctx.timezone, ctx.start, ctx.end)
        by_day = frt_days.frt_by_day(
            session, start=ctx.start, end=ctx.end, now=ctx.now, timezone=ctx.timezone, days=days
        )
        seconds = {
            "median": [_seconds(by_day[d].median if d in by_day else None) for d in days],
            "p90": [_seconds(by_day[d].p90 if d in by_day else None) for d in days],
        }
        return Panel(
            f"First response time · {ctx.label}", days, seconds, DURATION, "first response", "line"
        )
    if metric == "sla":
        rows = sla_report(session, ctx).table("days").rows
        series = {
            "first response": [r[1] for r in rows],
            "next response": [r[2] for r in rows],
            "resolution": [r[3] for r in rows],
        }
        return Panel(
            f"SLA breaches · {ctx.label}", [r[0] for r in rows], series, COUNT, "breaches",
            "stacked",
        )  # fmt: skip
    if metric == "types":
        rows = types_report(session, ctx).table("types").rows
        series = {"this range": [r[1] for r in rows], "previous": [r[2] for r in rows]}
        return Panel(
            f"Ticket types · {ctx.label}", [r[0] for r in rows], series, COUNT, "tickets", "barh"
        )
    if metric == "csat":
        counts = feedback.rating_counts(session, start=ctx.start, end=ctx.end)
        stars = [f"{n}★" for n in range(1, 6)]
        answers = {"answers": [counts.get(n, 0) for n in range(1, 6)]}
        return Panel(f"CSAT answers · {ctx.label}", stars, answers, COUNT, "answers")
    raise ValueError(f"no chart for {metric!r}; charts: {', '.join(CHARTS)}")


def _seconds(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def chart_figure(data: Panel) -> "Figure":
    """The chart as a matplotlib Figure (tests read its axes)."""
    return charts.figure([data])


def render_png(data: Panel) -> bytes:
    """Draw a chart and return the PNG bytes."""
    return charts.png(chart_figure(data))


def chart_png(service: KpiService, metric: str, date_range: DateRange) -> tuple[str, bytes]:
    """(file name, PNG) of a metric's chart over a range."""
    data = service.run(
        date_range, lambda session, ctx: chart_data(session, ctx, metric), caches=metric == "frt"
    )
    return f"kpi-{metric}-{slug(date_range.label)}.png", render_png(data)
