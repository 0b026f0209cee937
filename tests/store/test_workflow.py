"""store.workflow: the conditional claim that lets exactly one of two agents win."""

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store import tickets, workflow
from store.models import TicketStatus
from tests.store.conftest import NOW, NewTicket


def test_of_two_claimers_the_second_loses(
    engine: Engine, session: Session, new_ticket: NewTicket
) -> None:
    ticket_id = new_ticket().id
    assert ticket_id is not None
    session.commit()  # and leave the session idle: SQLite has one writer at a time

    with Session(engine) as first, Session(engine) as second:
        assert workflow.claim_ticket(first, ticket_id=ticket_id, agent_id="UANA", at=NOW)
        first.commit()
        later = NOW + timedelta(seconds=1)
        assert not workflow.claim_ticket(second, ticket_id=ticket_id, agent_id="UBEN", at=later)
        second.commit()

    held = tickets.get_ticket(session, ticket_id=ticket_id)
    assert held is not None
    assert (held.assignee_id, held.status, held.updated_at) == ("UANA", TicketStatus.OPEN, NOW)
    # Claiming again what one already holds is no conflict.
    assert workflow.claim_ticket(session, ticket_id=ticket_id, agent_id="UANA", at=NOW)


def test_a_claim_keeps_pending_and_never_takes_a_done_ticket(
    session: Session, new_ticket: NewTicket
) -> None:
    waiting = new_ticket(status=TicketStatus.PENDING)
    resolved = new_ticket(status=TicketStatus.RESOLVED)
    session.commit()
    assert waiting.id is not None and resolved.id is not None

    assert workflow.claim_ticket(session, ticket_id=waiting.id, agent_id="UANA", at=NOW)
    assert not workflow.claim_ticket(session, ticket_id=resolved.id, agent_id="UANA", at=NOW)
    session.commit()
    session.expire_all()
    assert tickets.get_ticket(session, ticket_id=waiting.id).status == TicketStatus.PENDING  # type: ignore[union-attr]
    assert tickets.get_ticket(session, ticket_id=resolved.id).assignee_id is None  # type: ignore[union-attr]
