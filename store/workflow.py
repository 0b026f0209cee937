"""Query functions for working tickets: conditional claims, state changes, tags, links, queues.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, update
from sqlmodel import Session, col, select

from store import statuses
from store.models import Ticket, TicketLink, TicketPause, TicketStatus, TicketTag


def claim_ticket(session: Session, *, ticket_id: int, agent_id: str, at: datetime) -> bool:
    """Give an unclaimed (or already own) live ticket to the agent; False if someone has it.

    One conditional UPDATE, so two agents claiming at the same instant cannot both win.
    """
    result = session.execute(
        update(Ticket)
        .where(
            col(Ticket.id) == ticket_id,
            or_(col(Ticket.assignee_id).is_(None), col(Ticket.assignee_id) == agent_id),
            col(Ticket.status).not_in([str(state) for state in statuses.DONE]),
        )
        .values(
            assignee_id=agent_id,
            status=_open_unless_pending(),
            updated_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _open_unless_pending() -> Any:
    return case(
        (col(Ticket.status) == str(TicketStatus.PENDING), str(TicketStatus.PENDING)),
        else_=str(TicketStatus.OPEN),
    )


def update_ticket(session: Session, *, ticket_id: int, at: datetime, **values: Any) -> None:
    """Set fields of a ticket (the caller has validated the transition)."""
    session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id)
        .values(updated_at=at, **values)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def add_tag(session: Session, *, ticket_id: int, tag: str) -> bool:
    """Tag a ticket; False when it already had the tag."""
    existing = session.exec(
        select(TicketTag).where(TicketTag.ticket_id == ticket_id, TicketTag.tag == tag)
    ).first()
    if existing is not None:
        return False
    session.add(TicketTag(ticket_id=ticket_id, tag=tag))
    session.flush()
    return True


def add_link(session: Session, *, ticket_id: int, ref: str) -> bool:
    """Link a ticket to an issue elsewhere; False when already linked."""
    existing = session.exec(
        select(TicketLink).where(TicketLink.ticket_id == ticket_id, TicketLink.ref == ref)
    ).first()
    if existing is not None:
        return False
    session.add(TicketLink(ticket_id=ticket_id, ref=ref))
    session.flush()
    return True


def tags_of(session: Session, *, ticket_id: int) -> list[str]:
    """A ticket's tags, alphabetically."""
    statement = (
        select(TicketTag.tag).where(TicketTag.ticket_id == ticket_id).order_by(TicketTag.tag)
    )
    return list(session.exec(statement))


def links_of(session: Session, *, ticket_id: int) -> list[str]:
    """A ticket's links, in the order they were added."""
    statement = (
        select(TicketLink.ref).where(TicketLink.ticket_id == ticket_id).order_by(col(TicketLink.id))
    )
    return list(session.exec(statement))


def queue(
    session: Session,
    *,
    workspace_id: str,
    states: Sequence[TicketStatus],
    assignee_id: str | None = None,
    unassigned: bool = False,
    limit: int = 50,
) -> list[Ticket]:
    """Tickets in the given states, oldest first, optionally by assignee or unassigned."""
    conditions = [
        col(Ticket.workspace_id) == workspace_id,
        col(Ticket.status).in_([str(state) for state in states]),
    ]
    if assignee_id is not None:
        conditions.append(col(Ticket.assignee_id) == assignee_id)
    if unassigned:
        conditions.append(col(Ticket.assignee_id).is_(None))
    statement = (
        select(Ticket).where(and_(*conditions)).order_by(col(Ticket.created_at)).limit(limit)
    )
    return list(session.exec(statement))


# Read on every change to a ticket: built once, run with parameters.
_PAUSES_OF = (
    select(TicketPause.started_at, TicketPause.ended_at)
    .where(col(TicketPause.ticket_id) == bindparam("ticket_id"))
    .order_by(col(TicketPause.id))
)


def pauses_of(session: Session, *, ticket_id: int) -> list[tuple[datetime, datetime | None]]:
    """The ticket's waiting-on-customer stretches, oldest first (the last may be open)."""
    rows = session.execute(_PAUSES_OF, {"ticket_id": ticket_id})
    return [(started, ended) for started, ended in rows]


def start_pause(session: Session, *, ticket_id: int, at: datetime) -> None:
    """Stop the SLA clocks (the ticket now waits on the customer)."""
    session.add(TicketPause(ticket_id=ticket_id, started_at=at))
    session.flush()


def end_pause(session: Session, *, ticket_id: int, at: datetime) -> None:
    """Restart the SLA clocks."""
    session.execute(
        update(TicketPause)
        .where(col(TicketPause.ticket_id) == ticket_id, col(TicketPause.ended_at).is_(None))
        .values(ended_at=at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def breaching(
    session: Session, *, workspace_id: str, before: datetime, limit: int = 50
) -> list[Ticket]:
    """Live tickets with any SLA target due before `before` (overdue or due soon)."""
    statement = (
        select(Ticket)
        .where(
            Ticket.workspace_id == workspace_id,
            col(Ticket.status).in_(["new", "open"]),
            or_(
                col(Ticket.first_response_due_at) < before,
                col(Ticket.next_response_due_at) < before,
                col(Ticket.resolution_due_at) < before,
            ),
        )
        .limit(limit)
    )
    return list(session.exec(statement))
