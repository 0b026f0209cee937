"""store.messages: storing messages once, their edit history, changes held for them."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store import messages
from store.models import AuthorRole, Message, MessageRevision
from tests.store.conftest import CHANNEL, CUSTOMER, NOW, NewTicket


def message(ts: str, *, ticket_id: int | None = None, **fields: object) -> Message:
    """A customer message in the help channel, sent at NOW unless told otherwise."""
    values: dict[str, object] = {
        "ticket_id": ticket_id,
        "channel_id": CHANNEL,
        "ts": ts,
        "user_id": CUSTOMER,
        "role": AuthorRole.CUSTOMER,
        "text": f"message {ts}",
        "sent_at": NOW,
    }
    return Message(**{**values, **fields})


def test_a_message_is_stored_once_and_found_by_channel_and_ts(session: Session) -> None:
    stored = messages.add_message(session, message=message("100.1", text="hello"))
    session.commit()

    found = messages.find_message(session, channel_id=CHANNEL, ts="100.1")
    assert found is not None and found.id == stored.id and found.text == "hello"
    assert messages.find_message(session, channel_id="C0OTHER", ts="100.1") is None
    with pytest.raises(IntegrityError):  # a redelivery fails on the unique key
        messages.add_message(session, message=message("100.1"))
    session.rollback()


def test_an_edit_keeps_the_previous_text_as_a_revision(session: Session) -> None:
    stored = messages.add_message(session, message=message("100.1", text="first words"))
    edited_at = NOW + timedelta(minutes=1)
    messages.add_revision(session, message=stored, kind="edit", replaced_at=edited_at)
    stored.text, stored.edited_at = "second words", edited_at
    session.add(stored)
    session.commit()

    [revision] = session.exec(select(MessageRevision)).all()
    assert (revision.message_id, revision.kind, revision.text) == (stored.id, "edit", "first words")
    assert revision.replaced_at == edited_at
    current = messages.find_message(session, channel_id=CHANNEL, ts="100.1")
    assert current is not None and current.text == "second words"


def test_replies_stored_before_their_ticket_are_adopted(
    session: Session, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(root_ts="100.1")
    assert ticket.id is not None
    messages.add_message(session, message=message("100.2", thread_ts="100.1"))
    messages.add_message(session, message=message("100.3", thread_ts="999.9"))  # another thread
    session.commit()

    adopted = messages.adopt_thread_replies(
        session, ticket_id=ticket.id, channel_id=CHANNEL, thread_ts="100.1",
        customer_id=ticket.customer_id,
    )  # fmt: skip
    session.commit()
    assert adopted == 1
    reply = messages.find_message(session, channel_id=CHANNEL, ts="100.2")
    assert reply is not None and reply.ticket_id == ticket.id


def test_first_and_latest_replies_by_role(session: Session, new_ticket: NewTicket) -> None:
    ticket = new_ticket()
    later = NOW + timedelta(minutes=5)
    messages.add_message(session, message=message("1.1", ticket_id=ticket.id))
    messages.add_message(
        session,
        message=message("1.3", ticket_id=ticket.id, role=AuthorRole.AGENT, sent_at=later),
    )
    messages.add_message(
        session,
        message=message(
            "1.2", ticket_id=ticket.id, role=AuthorRole.AGENT, sent_at=NOW + timedelta(minutes=1)
        ),
    )
    session.commit()
    assert ticket.id is not None

    first = messages.first_agent_reply(session, ticket_id=ticket.id)
    assert first is not None and first.ts == "1.2"
    assert messages.latest_agent_message_at(session, ticket_id=ticket.id) == later
    assert messages.latest_customer_message_at(session, ticket_id=ticket.id) == NOW


def test_changes_held_for_a_message_come_back_oldest_first_until_dropped(
    session: Session,
) -> None:
    later = NOW + timedelta(seconds=5)
    messages.hold_change(session, channel_id=CHANNEL, ts="1.1", kind="delete", at=later)
    messages.hold_change(session, channel_id=CHANNEL, ts="1.1", kind="edit", at=NOW, text="v2")
    messages.hold_change(session, channel_id=CHANNEL, ts="2.2", kind="edit", at=NOW, text="x")
    session.commit()

    held = messages.held_changes(session, channel_id=CHANNEL, ts="1.1")
    assert [(change.kind, change.text) for change in held] == [("edit", "v2"), ("delete", "")]
    messages.drop_held_changes(session, changes=held)
    session.commit()
    assert messages.held_changes(session, channel_id=CHANNEL, ts="1.1") == []
    assert messages.prune_held_changes(session, held_before=NOW + timedelta(1)) == 1
    session.commit()
    assert messages.held_changes(session, channel_id=CHANNEL, ts="2.2") == []
