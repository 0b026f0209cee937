"""store.statuses: one meaning of live and done, the same in every query that filters on it."""

from sqlmodel import Session

from store import digest, routing, statuses, workflow
from store.models import TicketStatus
from tests.store.conftest import WORKSPACE, NewTicket


def test_every_status_is_either_live_or_done() -> None:
    assert set(statuses.LIVE) | set(statuses.DONE) == set(TicketStatus)
    assert not set(statuses.LIVE) & set(statuses.DONE)


def test_queries_count_only_live_tickets(session: Session, new_ticket: NewTicket) -> None:
    for status in TicketStatus:
        new_ticket(status=status, assignee_id="UANA")
    survivor = new_ticket(status=TicketStatus.OPEN, assignee_id="UBEN")
    new_ticket(status=TicketStatus.CLOSED, assignee_id="UBEN", merged_into_id=survivor.id)
    session.commit()

    live = workflow.queue(session, workspace_id=WORKSPACE, states=statuses.LIVE, assignee_id="UANA")
    assert sorted(ticket.status for ticket in live) == sorted(statuses.LIVE)
    assert routing.live_load(session, workspace_id=WORKSPACE, agents=["UANA", "UBEN"]) == {
        "UANA": 3,
        "UBEN": 1,  # the merged ticket is closed: it is not counted twice
    }
    assert digest.tickets_open(session) == 4
