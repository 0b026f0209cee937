"""What a reply does to its ticket: an agent's may be the first response; a customer's
reopens a resolved ticket or brings a pending one back to open. The caller then touches
the ticket (updated time, SLA targets) in the same transaction."""

from sqlmodel import Session

from store import events, statuses
from store.models import Message, Ticket, TicketStatus


def note_agent_reply(session: Session, ticket: Ticket, message: Message) -> bool:
    """Record an agent reply; True when it is (now) the ticket's first response."""
    ticket.last_agent_message_at = max(
        filter(None, [ticket.last_agent_message_at, message.sent_at])
    )
    is_first = message.sent_at >= ticket.created_at and (
        ticket.first_response_at is None or message.sent_at < ticket.first_response_at
    )
    if is_first:
        ticket.first_response_at = message.sent_at
        ticket.first_responder_id = message.user_id
        events.add_activity(
            session,
            ticket_id=_id(ticket),
            action="first_response",
            at=message.sent_at,
            actor_id=message.user_id,
        )
    return is_first


def note_customer_reply(session: Session, ticket: Ticket, message: Message) -> bool:
    """Record a customer reply; True when it reopened the ticket."""
    ticket.last_customer_message_at = max(
        filter(None, [ticket.last_customer_message_at, message.sent_at])
    )
    reopened = False
    closed_at = ticket.resolved_at or ticket.closed_at
    if ticket.status in statuses.DONE and (closed_at is None or message.sent_at > closed_at):
        previous = ticket.status
        ticket.status = TicketStatus.OPEN if ticket.assignee_id else TicketStatus.NEW
        ticket.resolved_at = ticket.closed_at = None
        ticket.reopen_count += 1
        reopened = True
        events.add_activity(
            session,
            ticket_id=_id(ticket),
            action="reopened",
            at=message.sent_at,
            actor_id=message.user_id,
            detail={"from": str(previous)},
        )
    elif ticket.status == TicketStatus.PENDING:
        ticket.status = TicketStatus.OPEN
        events.add_activity(
            session,
            ticket_id=_id(ticket),
            action="customer_replied",
            at=message.sent_at,
            actor_id=message.user_id,
            detail={"from": "pending"},
        )
    return reopened


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id
