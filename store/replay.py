"""Query functions that read tickets' history for `deskbot sla whatif` (read-only).

All take a Session and keyword arguments; ticket lists are read in id order, in pages.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import Activity, Message, Ticket


def count_created(session: Session, *, start: datetime, end: datetime) -> int:
    """Tickets created in [start, end)."""
    statement = select(func.count()).where(
        col(Ticket.created_at) >= start, col(Ticket.created_at) < end
    )
    return int(session.exec(statement).one())


def created_page(
    session: Session, *, start: datetime, end: datetime, after_id: int, limit: int
) -> list[Any]:
    """The next page of tickets created in [start, end): id, channel, priority, created."""
    statement = (
        select(Ticket.id, Ticket.channel_id, Ticket.priority, Ticket.created_at)
        .where(
            col(Ticket.created_at) >= start,
            col(Ticket.created_at) < end,
            col(Ticket.id) > after_id,
        )
        .order_by(col(Ticket.id))
        .limit(limit)
    )
    return list(session.execute(statement))


def messages_of(session: Session, *, ticket_ids: Sequence[int]) -> list[Any]:
    """The messages of many tickets: ticket id, sent at, role, text, files; in time order."""
    statement = (
        select(Message.ticket_id, Message.sent_at, Message.role, Message.text, Message.files)
        .where(col(Message.ticket_id).in_(list(ticket_ids)))
        .order_by(col(Message.sent_at))
    )
    return list(session.execute(statement))


def activity_of(
    session: Session, *, ticket_ids: Sequence[int], actions: Sequence[str]
) -> list[Any]:
    """Audit-trail entries of some kinds for many tickets: ticket id, action, at."""
    statement = (
        select(Activity.ticket_id, Activity.action, Activity.at)
        .where(col(Activity.ticket_id).in_(list(ticket_ids)), col(Activity.action).in_(actions))
        .order_by(col(Activity.at))
    )
    return list(session.execute(statement))
