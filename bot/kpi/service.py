"""KPIs as a service: a metric, a range and a grouping in; the same `Report` for Slack and CLI."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.business_time import BusinessCalendar
from bot.clock import Clock
from bot.config import DeskConfig
from bot.kpi.breakdown import breakdown_report, summary_report
from bot.kpi.business import ensure_open_days, open_days_current
from bot.kpi.metrics import (
    Ctx,
    cost_report,
    csat_report,
    frt_report,
    handle_report,
    known_report,
    resolution_report,
    selfservice_report,
    sla_report,
    types_report,
    volume_report,
)
from bot.kpi.names import BY_HELP, DEFAULT_RANGE, GROUPED, METRIC_NAMES
from bot.kpi.report import Report
from bot.ranges import RANGE_HELP, DateRange, parse_range
from store.db import read_scope, session_scope
from store.kpi.queries import sla
from store.kpi.queries.scope import DIMENSIONS, LOOKUP_DAYS
from store.models import Ticket

T = TypeVar("T")
Builder = Callable[[Session, Ctx], Report]
METRICS: dict[str, Builder] = {
    "summary": summary_report,
    "volume": volume_report,
    "frt": frt_report,
    "sla": sla_report,
    "resolution": resolution_report,
    "handle": handle_report,
    "types": types_report,
    "csat": csat_report,
    "cost": cost_report,
    "selfservice": selfservice_report,
    "known": known_report,
}
METRIC_HELP = ", ".join(f"`{name}`" for name in METRIC_NAMES)
KPI_WORK_MEM = "64MB"


class KpiError(ValueError):
    """A question the service cannot answer; the message lists what is accepted."""


@dataclass(frozen=True)
class KpiQuery:
    """A parsed question: which metric, over which range, grouped how."""

    metric: str
    range: DateRange
    by: str | None = None


class KpiService:
    """Computes KPI reports from the database."""

    def __init__(self, engine: Engine, desk: DeskConfig, clock: Clock) -> None:
        self._engine = engine
        self._desk = desk
        self._clock = clock
        self._business = BusinessCalendar.from_config(desk.business_hours)
        self._calendar_lock = threading.Lock()

    @property
    def timezone(self) -> str:
        """The team's timezone: where days start and end."""
        return self._desk.business_hours.timezone

    def parse_range(self, text: str) -> DateRange:
        """Range words in the team's timezone, or a KpiError listing the accepted forms."""
        try:
            return parse_range(text, now=self._clock(), timezone=self.timezone)
        except ValueError as error:
            raise KpiError(str(error)) from None

    def query(self, metric: str, range_text: str, by: str | None = None) -> KpiQuery:
        """Validate a metric, range and grouping."""
        metric = metric.lower()
        if metric not in METRIC_NAMES:
            raise KpiError(f"`{metric[:40]}` is not a metric. Try {METRIC_HELP}.")
        if by is not None and by.lower() not in DIMENSIONS:
            raise KpiError(f"`by {by[:40]}`: group by {BY_HELP}.")
        return KpiQuery(metric, self.parse_range(range_text), by.lower() if by else None)

    def between(self, since: datetime, until: datetime, label: str) -> DateRange:
        """An explicit range (the CLI's --since/--until)."""
        if until <= since:
            raise KpiError("--until must be after --since.")
        return DateRange(since, until, label)

    def report(self, query: KpiQuery, *, agent_id: str | None = None) -> Report:
        """Answer a question; with `agent_id` only that agent's own numbers."""
        ctx = self._ctx(query.range)
        self._ensure_calendar()
        with self._read(query.range) as session:
            if agent_id is not None:
                return breakdown_report(session, ctx, "agent", agent_id)
            dimension = query.by or GROUPED.get(query.metric)
            if dimension is not None:
                return breakdown_report(session, ctx, dimension)
            return METRICS[query.metric](session, ctx)

    def breaching(self, *, limit: int = 10) -> list[tuple[Ticket, str, datetime]]:
        """Live tickets past an SLA target (last 90 days), most overdue first."""
        now = self._clock()
        with self._read() as session:
            return sla.breaching_tickets(
                session, now=now, since=now - timedelta(days=90), limit=limit
            )

    def run(
        self, date_range: DateRange, work: Callable[[Session, Ctx], T], *, caches: bool = False
    ) -> T:
        """Run a computation over a range in one read transaction (charts, exports); with
        `caches`, one that may write (the FRT chart keeps the days it computed)."""
        ctx = self._ctx(date_range)
        self._ensure_calendar()
        with self._read(date_range, writes=caches) as session:
            return work(session, ctx)

    def _ensure_calendar(self) -> None:
        """Business-hours durations in SQL need the configured calendar's days stored."""
        now = self._clock()
        with read_scope(self._engine) as session:
            if open_days_current(session, self._business, now):
                return
        # One thread stores them; a page's other questions wait here for it rather than
        # queue for the writer's turn (a first recomputation at 1M tickets outlasts that
        # queue's patience, and each would fail instead of waiting).
        with self._calendar_lock, session_scope(self._engine) as session:
            ensure_open_days(session, self._business, now)

    @contextmanager
    def _read(
        self, date_range: DateRange | None = None, *, writes: bool = False
    ) -> Iterator[Session]:
        """A read transaction tuned for aggregates on PostgreSQL (and for the range's length):
        read-only unless it `writes` (a cache), so reports never queue for a write turn."""
        with (session_scope if writes else read_scope)(self._engine) as session:
            if session.get_bind().dialect.name == "postgresql":
                # JIT compilation costs more than it saves on KPI-sized scans, and
                # percentiles sort a range's durations in memory rather than on disk. Over a
                # short range, random reads priced as the cached reads they are make a
                # breakdown probe each ticket's tags by key (30 days by type at 1M tickets:
                # 180 -> 50 ms) instead of hashing all of ticket_tag; over a year that
                # price loses parallel scans (known issues: 260 -> 350 ms), so not there.
                short = date_range is not None and (
                    date_range.end - date_range.start <= timedelta(days=LOOKUP_DAYS)
                )
                session.execute(
                    text(
                        "SELECT set_config('jit', 'off', true), "
                        "set_config('work_mem', :work_mem, true), "
                        "set_config('random_page_cost', CASE WHEN :short THEN '1.1' "
                        "ELSE current_setting('random_page_cost') END, true)"
                    ),  # one round trip; set_config(..., true) is SET LOCAL
                    {"work_mem": KPI_WORK_MEM, "short": short},
                )
            yield session

    def _ctx(self, date_range: DateRange) -> Ctx:
        return Ctx(
            start=date_range.start,
            end=date_range.end,
            label=date_range.label,
            now=self._clock(),
            timezone=self.timezone,
            business=self._business,
            costs=self._desk.costs,
        )


__all__ = ["DEFAULT_RANGE", "METRIC_NAMES", "RANGE_HELP", "KpiError", "KpiQuery", "KpiService"]
