"""The dashboard's numbers, all asked of the KPI service that answers `/kpi` and `deskbot kpi`.

Nothing here computes a metric: the summary card and its previous range, the volume and
CSAT tables, the first-response days and the SLA counts are the KPI service's own reports
and queries, run over the range the page asks for. What is added is where each number
drills down to (the ticket list's query string) and, for SLA, the counts per local day
(`sla.targets_by_day`, the SLA report's definition) summed per week over long ranges.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.kpi.breakdown import UNASSIGNED_LABEL
from bot.kpi.chart import chart_data
from bot.kpi.metrics import Ctx, days_table, trend
from bot.kpi.report import Figure, Report
from bot.kpi.service import KpiQuery, KpiService
from bot.ranges import DateRange
from store.dashboard import UNASSIGNED
from store.kpi.queries import group_read, sla

PAGE_WORKERS = 6
DAILY_UP_TO = 62  # days; longer ranges count SLA targets per week
# Whether a figure going up is good news (True), bad news (False) or neither (None).
GOOD_WHEN_UP: dict[str, bool | None] = {
    "created": None,
    "resolved": True,
    "backlog": False,
    "frt_median": False,
    "frt_business_median": False,
    "sla_within": True,
    "breaches": False,
    "resolution_median": False,
    "reopen_rate": False,
    "csat_average": True,
    "csat_response_rate": True,
    "deflection_rate": True,
    "cost_per_ticket": False,
}


@dataclass(frozen=True)
class Kpi:
    """A summary figure beside the previous range's, and the tickets behind it."""

    figure: Figure
    previous: Any
    change: float | None  # percent against the previous range
    good: bool | None  # whether the change is good news
    drill: dict[str, str] | None


@dataclass(frozen=True)
class Bucket:
    """A day (or week) of SLA targets: its label, range words and counts."""

    label: str
    range_text: str
    due: int
    met: int
    breached: int

    @property
    def within(self) -> float | None:
        """Share met in time of the decided targets."""
        return _within(self.met, self.breached)


def parallel(*jobs: Callable[[], Any]) -> list[Any]:
    """Run independent KPI questions at once (each has its own read transaction): a page
    waits for the slowest, not for the sum."""
    with ThreadPoolExecutor(max_workers=min(len(jobs), PAGE_WORKERS)) as pool:
        return [future.result() for future in [pool.submit(job) for job in jobs]]


def compare(now: Report, earlier: Report) -> list[Kpi]:
    """Each figure of a summary beside the previous range's, with its change."""
    before = earlier.values()
    kpis = []
    for figure in now.figures:
        old = before.get(figure.key)
        change = _change(figure.value, old)
        up = GOOD_WHEN_UP.get(figure.key)
        good = None if change in (None, 0) or up is None else (change > 0) == up
        kpis.append(Kpi(figure, old, change, good, drill_for(figure.key)))
    return kpis


def _change(value: Any, old: Any) -> float | None:
    if not isinstance(value, int | float) or not isinstance(old, int | float):
        return None
    if isinstance(value, int) and isinstance(old, int):
        return trend(value, old)
    return round((value - old) / old * 100, 1) if old else None


def drill_for(key: str) -> dict[str, str] | None:
    """The ticket list (beyond the range) behind a summary figure."""
    return {
        "created": {},
        "resolved": {"on": "resolved"},
        "backlog": {"status": "live", "range": "all"},
        "frt_median": {},
        "frt_business_median": {},
        "sla_within": {"on": "due", "sla": "met"},
        "breaches": {"on": "due", "sla": "breached"},
        "resolution_median": {"on": "resolved"},
        "reopen_rate": {"on": "resolved"},
        "csat_average": {"on": "asked"},
        "csat_response_rate": {"on": "asked"},
        "deflection_rate": {},
        "cost_per_ticket": {},
    }.get(key)


def volume_days(service: KpiService, date_range: DateRange) -> list[list[Any]]:
    """Per local day: [day, created, resolved, rate] (the volume report's days, without the
    message counts and backlog the chart does not draw)."""
    return service.run(
        date_range, lambda session, ctx: days_table(session, ctx, messages=False)
    ).rows


def frt_days(service: KpiService, date_range: DateRange) -> tuple[list[str], dict[str, list]]:
    """Per local day: median and p90 first response in seconds (NaN: none that day)."""
    panel = service.run(
        date_range, lambda session, ctx: chart_data(session, ctx, "frt"), caches=True
    )
    return panel.x, panel.series


def csat_stars(service: KpiService, date_range: DateRange) -> list[int]:
    """Survey answers per star (1..5), for surveys asked in the range."""
    panel = service.run(date_range, lambda session, ctx: chart_data(session, ctx, "csat"))
    return [int(n) for n in panel.series["answers"]]


def sla_buckets(service: KpiService, date_range: DateRange) -> list[Bucket]:
    """Targets due, met in time and breached per local day (per week past DAILY_UP_TO days):
    the SLA report's counts (`sla.targets_by_day`), summed into each bucket."""
    zone = ZoneInfo(service.timezone)
    spans = _spans(date_range, zone)

    def count(session: Session, ctx: Ctx) -> dict[str, sla.TargetCounts]:
        return sla.targets_by_day(
            session, start=ctx.start, end=ctx.end, now=ctx.now, timezone=service.timezone
        )

    days = service.run(date_range, count)
    found = []
    for label, words, first, last in spans:
        total = sum(
            (counts for day, counts in days.items() if first <= day <= last), sla.TargetCounts()
        )
        found.append(Bucket(label, words, total.due, total.met_in_time, total.breached))
    return found


def _spans(date_range: DateRange, zone: ZoneInfo) -> list[tuple[str, str, str, str]]:
    """(label, range words, first day, last day) per local day or week of the range."""
    first = date_range.start.astimezone(zone).date()
    last = (date_range.end - timedelta(microseconds=1)).astimezone(zone).date()
    step = 1 if (last - first).days < DAILY_UP_TO else 7
    spans = []
    day = first
    while day <= last:
        until = min(day + timedelta(days=step - 1), last)
        words = str(day) if step == 1 else f"{day}..{until}"
        spans.append((str(day), words, str(day), str(until)))
        day = until + timedelta(days=1)
    return spans


def sla_by(service: KpiService, date_range: DateRange, dimension: str) -> list[dict[str, Any]]:
    """Per agent or organization: targets due, met in time, breached (the totals the KPI
    breakdowns read, `group_read.totals`), most breached first; agents' rows add up to the
    team with an unassigned row (id UNASSIGNED)."""
    found = service.run(
        date_range,
        lambda session, ctx: group_read.totals(
            session,
            dimension=dimension,
            start=ctx.start,
            end=ctx.end,
            now=ctx.now,
            only=("sla_due", "sla_ok", "breached"),
        ),
    )
    rows = [
        {
            "id": group,
            "due": totals.sla_due,
            "met": totals.sla_ok,
            "breached": totals.breached,
            "within": _within(totals.sla_ok, totals.breached),
        }
        for group, totals in found.items()
        if totals.sla_due
    ]
    rows.sort(key=lambda row: (-row["breached"], -row["due"], str(row["id"])))
    return rows


def _within(met: int, late: int) -> float | None:
    """Share met in time of the decided targets (a running target is neither yet)."""
    return met / (met + late) if met + late else None


def agent_numbers(service: KpiService, date_range: DateRange, agent_id: str) -> dict[str, Any]:
    """An agent's own row of the KPI service (what `/kpi` shows an agent)."""
    report = service.report(KpiQuery("summary", date_range), agent_id=agent_id)
    rows = report.tables[0].dicts()
    return rows[0] if rows else {}


def named_rows(
    rows: list[dict[str, Any]], names: Callable[[list[str]], dict[str, str]]
) -> list[dict[str, Any]]:
    """Rows with a `name` beside each `id` (the id itself when never named); the row of
    tickets nobody holds is "Unassigned" and drills down with `agent=none`."""
    known = names([str(row["id"]) for row in rows if row["id"]])
    return [
        {**row, "name": known.get(str(row["id"]), row["id"]), "drill": row["id"]}
        if row["id"]
        else {**row, "name": UNASSIGNED_LABEL, "drill": UNASSIGNED}
        for row in rows
    ]
