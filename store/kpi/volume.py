"""Volume: tickets created and resolved, backlog, messages in and out, by local day."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from store.kpi.sqlfn import in_range, local_day
from store.models import AuthorRole, Message, Ticket


@dataclass(frozen=True)
class DayCounts:
    """One local day's volume."""

    day: str
    created: int = 0
    resolved: int = 0
    messages_in: int = 0
    messages_out: int = 0


def count_created(session: Session, *, start: datetime, end: datetime) -> int:
    """Tickets created in the range."""
    statement = select(func.count()).where(in_range(col(Ticket.created_at), start, end))
    return int(session.exec(statement).one())


def count_resolved(session: Session, *, start: datetime, end: datetime) -> int:
    """Tickets whose (latest) resolution falls in the range."""
    statement = select(func.count()).where(in_range(col(Ticket.resolved_at), start, end))
    return int(session.exec(statement).one())


def backlog_at(session: Session, *, end: datetime) -> int:
    """Tickets created before `end` and not resolved before it."""
    # "unresolved, or resolved at or after the end": both sides can use the resolved_at index.
    still_open = or_(col(Ticket.resolved_at).is_(None), col(Ticket.resolved_at) >= end)
    statement = select(func.count()).where(col(Ticket.created_at) < end, still_open)
    return int(session.exec(statement).one())


def count_messages(session: Session, *, start: datetime, end: datetime) -> tuple[int, int]:
    """(customer messages, agent messages) sent in tickets in the range, deletions excluded."""
    statement = (
        select(Message.role, func.count())
        .where(
            in_range(col(Message.sent_at), start, end),
            col(Message.ticket_id).is_not(None),
            col(Message.deleted_at).is_(None),
        )
        .group_by(Message.role)
    )
    counts = dict(session.exec(statement).all())
    return int(counts.get(AuthorRole.CUSTOMER, 0)), int(counts.get(AuthorRole.AGENT, 0))


def by_day(
    session: Session, *, start: datetime, end: datetime, timezone: str, messages: bool = True
) -> dict[str, DayCounts]:
    """Created, resolved (and messages in and out) per local day, days with activity only."""
    days: dict[str, dict[str, int]] = {}

    def add(rows: object, key: str) -> None:
        for day, count in rows:  # type: ignore[attr-defined]
            days.setdefault(str(day), {})[key] = int(count)

    for column, key in ((Ticket.created_at, "created"), (Ticket.resolved_at, "resolved")):
        day = local_day(session, col(column), timezone=timezone, start=start, end=end)
        statement = select(day, func.count()).where(in_range(col(column), start, end)).group_by(day)
        add(session.exec(statement).all(), key)
    if not messages:
        return {day: DayCounts(day=day, **counts) for day, counts in days.items()}
    day = local_day(session, col(Message.sent_at), timezone=timezone, start=start, end=end)
    statement = (
        select(day, Message.role, func.count())
        .where(
            in_range(col(Message.sent_at), start, end),
            col(Message.ticket_id).is_not(None),
            col(Message.deleted_at).is_(None),
        )
        .group_by(day, Message.role)
    )
    for day_value, role, count in session.exec(statement).all():
        key = "messages_in" if role == AuthorRole.CUSTOMER else "messages_out"
        days.setdefault(str(day_value), {})[key] = int(count)
    return {day: DayCounts(day=day, **counts) for day, counts in days.items()}
