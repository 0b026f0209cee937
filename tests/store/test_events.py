"""store.events: the keys of events taken in (redelivery detection) and the audit trail."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store import events
from tests.store.conftest import NOW, NewTicket


def test_an_event_id_is_taken_in_once_and_forgotten_after_the_retention(
    session: Session,
) -> None:
    events.record_event(session, event_id="Ev1", event_type="message", received_at=NOW)
    session.commit()
    with pytest.raises(IntegrityError):  # Slack redelivered it
        events.record_event(session, event_id="Ev1", event_type="message", received_at=NOW)
    session.rollback()

    assert events.prune_events(session, received_before=NOW) == 0
    assert events.prune_events(session, received_before=NOW + timedelta(days=2)) == 1
    session.commit()
    events.record_event(session, event_id="Ev1", event_type="message", received_at=NOW)
    session.commit()


def test_the_audit_trail_is_read_back_in_order(session: Session, new_ticket: NewTicket) -> None:
    ticket = new_ticket()
    assert ticket.id is not None
    events.add_activity(session, ticket_id=ticket.id, action="created", at=NOW, actor_id="U1")
    events.add_activity(
        session,
        ticket_id=ticket.id,
        action="priority",
        at=NOW + timedelta(minutes=1),
        actor_id="U2",
        detail={"from": "normal", "to": "high"},
    )
    session.commit()

    trail = events.ticket_activity(session, ticket_id=ticket.id)
    assert [(entry.action, entry.actor_id) for entry in trail] == [
        ("created", "U1"),
        ("priority", "U2"),
    ]
    assert trail[0].detail == {} and trail[1].detail == {"from": "normal", "to": "high"}
