"""Volume: tickets created and resolved, backlog, messages in and out, by local day.

Whole UTC hours inside a range are summed from `kpi_hour`; the partial hours at either
edge are counted from the rows themselves, so any [start, end) is exact. By-day counts
use the hours too when the timezone's day boundaries fall on whole UTC hours.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, true
from sqlmodel import Session, col, select

from store.fact_models import KpiHour, TicketFact
from store.kpi.sqlfn import in_range, local_day, offset_segments
from store.kpi.triggers.rollup import live
from store.models import AuthorRole, Message, Ticket

HOUR = timedelta(hours=1)
KINDS = ("created", "resolved", "in", "out")
DayFn = Callable[[Any], Any] | None


@dataclass(frozen=True)
class DayCounts:
    """One local day's volume."""

    day: str
    created: int = 0
    resolved: int = 0
    messages_in: int = 0
    messages_out: int = 0


def _floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def whole_hours(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """[first, last): the whole UTC hours inside [start, end), if any."""
    first = _floor(start) + (HOUR if _floor(start) < start else timedelta())
    last = _floor(end)
    return (first, last) if first < last else None


def _raw(
    session: Session, kinds: tuple[str, ...], start: datetime, end: datetime, day: DayFn
) -> dict[tuple[Any, str], int]:
    """Counts straight from the rows, for [start, end)."""
    found: dict[tuple[Any, str], int] = {}
    for kind, column, also in (
        ("created", col(TicketFact.created_at), true()),
        ("resolved", col(TicketFact.resolved_at), true()),
        # facts.merged_moment: merged while unresolved, at the merge
        ("merged", col(Ticket.merged_at), col(Ticket.resolved_at).is_(None)),
    ):
        if kind in kinds:
            key = day(column) if day else literal(None)
            statement = select(key, func.count()).where(in_range(column, start, end), also)
            for group, count in session.execute(statement.group_by(key) if day else statement):
                found[(group, kind)] = found.get((group, kind), 0) + int(count)
    roles = [
        role
        for role, kind in ((AuthorRole.CUSTOMER, "in"), (AuthorRole.AGENT, "out"))
        if kind in kinds
    ]
    if roles:
        key = day(col(Message.sent_at)) if day else literal(None)
        statement = select(key, col(Message.role), func.count()).where(
            in_range(col(Message.sent_at), start, end),
            col(Message.ticket_id).is_not(None),
            col(Message.deleted_at).is_(None),
            col(Message.role).in_([str(role) for role in roles]),
        )
        grouped = (
            statement.group_by(key, col(Message.role))
            if day
            else statement.group_by(col(Message.role))
        )
        for group, role, count in session.execute(grouped):
            kind = "in" if role == AuthorRole.CUSTOMER else "out"
            found[(group, kind)] = found.get((group, kind), 0) + int(count)
    return found  # fmt: skip


def counts(
    session: Session,
    *,
    kinds: tuple[str, ...],
    start: datetime | None,
    end: datetime,
    day: DayFn = None,
) -> dict[tuple[Any, str], int]:
    """(day or None, kind) -> count over [start, end) (start None: since the beginning)."""
    first = (
        None if start is None else _floor(start) + (HOUR if _floor(start) < start else timedelta())
    )
    last = _floor(end)
    if first is not None and first >= last:
        return _raw(session, kinds, start, end, day)  # type: ignore[arg-type]
    rows = live(session, KpiHour).c
    key = day(rows.hour) if day else literal(None)
    hours = [rows.hour < last, rows.kind.in_(kinds)]
    if first is not None:
        hours.append(rows.hour >= first)
    statement = select(key, rows.kind, func.sum(rows.n)).where(*hours)
    statement = statement.group_by(key, rows.kind) if day else statement.group_by(rows.kind)
    found: dict[tuple[Any, str], int] = {}
    for group, kind, total in session.execute(statement):
        found[(group, kind)] = int(total or 0)
    edges = [(last, end)] if first is None else [(start, first), (last, end)]
    for low, high in edges:
        if low < high:
            for item, count in _raw(session, kinds, low, high, day).items():
                found[item] = found.get(item, 0) + count
    return found  # fmt: skip


def _total(found: dict[tuple[Any, str], int], kind: str) -> int:
    return sum(count for (_, k), count in found.items() if k == kind)


def count_created(session: Session, *, start: datetime, end: datetime) -> int:
    """Tickets created in the range."""
    return _total(counts(session, kinds=("created",), start=start, end=end), "created")


def count_resolved(session: Session, *, start: datetime, end: datetime) -> int:
    """Tickets whose (latest) resolution falls in the range."""
    return _total(counts(session, kinds=("resolved",), start=start, end=end), "resolved")


def backlog_at(session: Session, *, end: datetime) -> int:
    """Tickets created before `end`, neither resolved nor merged into another before it."""
    # created < end, minus resolved < end and merged (unresolved) < end, plus the (odd)
    # ones resolved before creation.
    found = counts(session, kinds=("created", "resolved", "merged"), start=None, end=end)
    # Resolved before `end` yet created from it on means resolved before created, so its
    # resolution_seconds is not positive: that (implied) bound lets the planner read the few
    # such tickets from the resolution index, however many came after `end`.
    early = select(func.count()).where(
        col(TicketFact.resolution_seconds) <= 0,
        col(TicketFact.created_at) >= end,
        col(TicketFact.resolved_at) < end,
    )
    odd = int(session.execute(early).scalar_one())
    left = _total(found, "resolved") + _total(found, "merged")
    return _total(found, "created") - left + odd


def count_messages(session: Session, *, start: datetime, end: datetime) -> tuple[int, int]:
    """(customer messages, agent messages) sent in tickets in the range, deletions excluded."""
    found = counts(session, kinds=("in", "out"), start=start, end=end)
    return _total(found, "in"), _total(found, "out")


def hour_aligned(timezone: str, start: datetime, end: datetime) -> bool:
    """Whether every local midnight in the range falls on a whole UTC hour."""
    segments = offset_segments(ZoneInfo(timezone), start, end)
    whole = all(offset % 3600 == 0 for _, offset in segments)
    return whole and all(moment.minute == moment.second == 0 for moment, _ in segments[1:])


def by_day(
    session: Session, *, start: datetime, end: datetime, timezone: str, messages: bool = True
) -> dict[str, DayCounts]:
    """Created, resolved (and messages in and out) per local day, days with activity only."""
    kinds = KINDS if messages else KINDS[:2]

    def day(column: Any) -> Any:
        return local_day(session, column, timezone=timezone, start=start, end=end)

    if hour_aligned(timezone, start, end):
        found = counts(session, kinds=kinds, start=start, end=end, day=day)
    else:
        found = _raw(session, kinds, start, end, day)
    names = {
        "created": "created",
        "resolved": "resolved",
        "in": "messages_in",
        "out": "messages_out",
    }
    days: dict[str, dict[str, int]] = {}
    for (group, kind), count in found.items():
        if count:
            days.setdefault(str(group), {})[names[kind]] = count
    return {d: DayCounts(day=d, **values) for d, values in days.items()}
