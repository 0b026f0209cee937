"""Ticket types (tags): counts in a range, the previous range, and types never seen before.

Whole UTC days come from kpi_tag_day (tags of the tickets created each day); the partial
days at a range's edges are counted from ticket_tag and ticket_fact.
"""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.fact_models import KpiTagDay
from store.fact_models import TicketFact as Ticket
from store.kpi.sqlfn import in_range
from store.kpi.triggers.rollup import live, whole_days
from store.models import TicketTag


def _raw(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    statement = (
        select(col(TicketTag.tag), func.count())
        .join(Ticket, col(Ticket.ticket_id) == col(TicketTag.ticket_id))
        .where(in_range(col(Ticket.created_at), start, end))
        .group_by(col(TicketTag.tag))
    )
    return {tag: int(count) for tag, count in session.execute(statement)}


def _days(session: Session, start: datetime | None, end: datetime) -> dict[str, int]:
    rows = live(session, KpiTagDay).c
    statement = select(rows.tag, func.sum(rows.n)).where(rows.day < end)
    if start is not None:
        statement = statement.where(rows.day >= start)
    statement = statement.group_by(rows.tag)
    return {tag: int(count or 0) for tag, count in session.execute(statement)}


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for tag, count in more.items():
        into[tag] = into.get(tag, 0) + count


def type_counts(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Tickets created in the range, per type tag."""
    days = whole_days(start, end)
    if days is None:
        return _raw(session, start, end)
    found = _days(session, *days)
    for low, high in ((start, days[0]), (days[1], end)):
        if low < high:
            _add(found, _raw(session, low, high))
    return {tag: count for tag, count in found.items() if count}


def new_types(session: Session, *, start: datetime, end: datetime) -> list[str]:
    """Types on tickets created in the range that no earlier ticket had."""
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    earlier = _days(session, None, day)
    _add(earlier, _raw(session, day, start))
    current = type_counts(session, start=start, end=end)
    return sorted(tag for tag in current if not earlier.get(tag))
