"""Everything the dashboard's ticket page shows, read in one transaction by number.

The conversation is the stored messages as they are now (an edited message shows its
latest text, with when it was edited; a deleted one says so), the activity is the audit
trail, SLA targets are every cycle's, and merges go both ways (what this ticket was merged
into, and which tickets were merged into it).
"""

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from store.models import Activity, CsatSurvey, Message, Ticket, TicketDuplicate
from store.sla_models import SlaTarget
from store.tickets import find_ticket_by_number, get_ticket
from store.workflow import links_of, tags_of


@dataclass
class TicketPage:
    """One ticket with its messages, activity, targets, survey, tags, links and merges."""

    ticket: Ticket
    messages: list[Message]
    activity: list[Activity]
    targets: list[SlaTarget]
    survey: CsatSurvey | None
    tags: list[str]
    links: list[str]
    merged_into: int | None = None  # the number of the ticket it was folded into
    merged_here: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)  # likely duplicates found


def ticket_page(session: Session, *, workspace_id: str, number: int) -> TicketPage | None:
    """The ticket `#number` with all it shows, or None."""
    ticket = find_ticket_by_number(session, workspace_id=workspace_id, number=number)
    if ticket is None or ticket.id is None:
        return None
    messages = session.exec(
        select(Message).where(col(Message.ticket_id) == ticket.id).order_by(col(Message.ts))
    ).all()
    activity = session.exec(
        select(Activity)
        .where(col(Activity.ticket_id) == ticket.id)
        .order_by(col(Activity.at), col(Activity.id))
    ).all()
    targets = session.exec(
        select(SlaTarget)
        .where(col(SlaTarget.ticket_id) == ticket.id)
        .order_by(col(SlaTarget.due_at), col(SlaTarget.id))
    ).all()
    survey = session.exec(select(CsatSurvey).where(col(CsatSurvey.ticket_id) == ticket.id)).first()
    merged_into = None
    if ticket.merged_into_id is not None:
        target = get_ticket(session, ticket_id=ticket.merged_into_id)
        merged_into = target.number if target else None
    merged_here = session.exec(
        select(Ticket.number)
        .where(col(Ticket.merged_into_id) == ticket.id)
        .order_by(col(Ticket.number))
    ).all()
    duplicates = session.exec(
        select(Ticket.number)
        .join(TicketDuplicate, col(TicketDuplicate.duplicate_of_id) == col(Ticket.id))
        .where(col(TicketDuplicate.ticket_id) == ticket.id)
        .order_by(col(Ticket.number))
    ).all()
    return TicketPage(
        ticket=ticket,
        messages=list(messages),
        activity=list(activity),
        targets=list(targets),
        survey=survey,
        tags=tags_of(session, ticket_id=ticket.id),
        links=links_of(session, ticket_id=ticket.id),
        merged_into=merged_into,
        merged_here=[int(n) for n in merged_here],
        duplicates=[int(n) for n in duplicates],
    )
