"""The overview's four charts, from the KPI service's numbers, each point linked to the
ticket list filtered to the tickets behind it."""

import math
from collections.abc import Callable
from typing import Any

from bot.charts import duration_unit
from bot.dashboard.numbers import Bucket
from bot.dashboard.svg import Chart, Point, Series
from bot.kpi.report import format_duration

Link = Callable[..., str]  # keyword filters -> the ticket list's URL


def volume_chart(days: list[list[Any]], link: Link) -> Chart:
    """Tickets created and resolved per day (the volume report's days)."""
    created = [Point(r[1], f"{r[1]} created", link(range=r[0])) for r in days]
    resolved = [Point(r[2], f"{r[2]} resolved", link(range=r[0], on="resolved")) for r in days]
    return Chart(
        "Tickets created and resolved per day",
        [r[0] for r in days],
        [Series("created", created), Series("resolved", resolved)],
    )


def frt_chart(days: list[str], series: dict[str, list[float]], link: Link) -> Chart:
    """Median and p90 first response per day of creation."""
    seconds = [v for values in series.values() for v in values if not math.isnan(v)]
    unit, size = duration_unit(seconds)

    def point(value: float, day: str, name: str) -> Point:
        if math.isnan(value):
            return Point(None, "no first response")
        return Point(value / size, f"{name} {format_duration(value)}", link(range=day))

    return Chart(
        f"First response time per day ({unit})",
        days,
        [
            Series(name, [point(v, day, name) for v, day in zip(values, days, strict=True)])
            for name, values in series.items()
        ],
        kind="line",
        axis=lambda value: f"{value:g}",
    )


def sla_chart(buckets: list[Bucket], link: Link) -> Chart:
    """SLA targets met in time and breached per day (or week)."""
    met = [
        Point(
            b.met, f"{b.met} of {b.due} met in time", link(range=b.range_text, on="due", sla="met")
        )
        for b in buckets
    ]
    late = [
        Point(
            b.breached, f"{b.breached} breached", link(range=b.range_text, on="due", sla="breached")
        )
        for b in buckets
    ]
    return Chart(
        "SLA targets met and breached",
        [b.label for b in buckets],
        [Series("met in time", met), Series("breached", late)],
        kind="stacked",
    )


def csat_chart(stars: list[int], link: Link, range_text: str) -> Chart:
    """Survey answers per star rating."""
    labels = [f"{n}★" for n in range(1, 6)]
    points = [
        Point(count, f"{count} answers", link(range=range_text, on="asked", stars=str(n)))
        for n, count in zip(range(1, 6), stars, strict=True)
    ]
    return Chart("CSAT answers by stars", labels, [Series("answers", points)])
