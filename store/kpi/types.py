"""Ticket types (tags): counts in a range, the previous range, and types never seen before."""

from datetime import datetime

from sqlalchemy import func, literal
from sqlalchemy.orm import aliased
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
    earlier_tag, earlier_ticket = aliased(TicketTag), aliased(Ticket)
    # NOT EXISTS stops at the first earlier ticket, so common types cost one index probe.
    seen_before = (
        select(literal(1))
        .select_from(earlier_tag)
        .join(earlier_ticket, earlier_ticket.id == earlier_tag.ticket_id)
        .where(earlier_tag.tag == col(TicketTag.tag), earlier_ticket.created_at < start)
        .exists()
    )
    statement = (
        select(col(TicketTag.tag))
        .join(Ticket, col(Ticket.id) == col(TicketTag.ticket_id))
        .where(in_range(col(Ticket.created_at), start, end), ~seen_before)
        .group_by(col(TicketTag.tag))
        .order_by(col(TicketTag.tag))
    )
    return list(session.execute(statement).scalars())
