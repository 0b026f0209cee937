"""Ticket types (tags): counts in a range, the previous range, and types never seen before."""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.kpi.sqlfn import in_range
from store.models import Ticket, TicketTag


def type_counts(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Tickets created in the range, per type tag."""
    statement = (
        select(col(TicketTag.tag), func.count())
        .join(Ticket, col(Ticket.id) == col(TicketTag.ticket_id))
        .where(in_range(col(Ticket.created_at), start, end))
        .group_by(col(TicketTag.tag))
    )
    return {tag: int(count) for tag, count in session.execute(statement)}


def new_types(session: Session, *, start: datetime, end: datetime) -> list[str]:
    """Types on tickets created in the range that no earlier ticket had."""
    first_seen = (
        select(col(TicketTag.tag), func.min(Ticket.created_at).label("first"))
        .join(Ticket, col(Ticket.id) == col(TicketTag.ticket_id))
        .where(col(Ticket.created_at) < end)
        .group_by(col(TicketTag.tag))
        .subquery()
    )
    statement = (
        select(first_seen.c.tag).where(first_seen.c.first >= start).order_by(first_seen.c.tag)
    )
    return list(session.execute(statement).scalars())
