"""store.conversations: merges stay flat, so `merged_into_id` always names the survivor."""

from sqlmodel import Session

from store import conversations, messages
from store.models import AuthorRole, Message, TicketStatus
from tests.store.conftest import CHANNEL, CUSTOMER, NOW, NewTicket


def test_merging_a_survivor_repoints_what_was_merged_into_it(
    session: Session, new_ticket: NewTicket
) -> None:
    first, second, third = new_ticket(), new_ticket(), new_ticket()
    assert first.id and second.id and third.id
    for ticket in (first, second):
        messages.add_message(
            session,
            message=Message(
                ticket_id=ticket.id,
                channel_id=CHANNEL,
                ts=ticket.root_ts,
                user_id=CUSTOMER,
                role=AuthorRole.CUSTOMER,
                text=ticket.subject,
                sent_at=NOW,
            ),
        )
    first.status, first.merged_into_id = TicketStatus.CLOSED, second.id  # first -> second
    session.add(first)
    session.commit()

    # second -> third: first must now point at third too, not at a merged ticket.
    moved = conversations.move_messages(session, from_ticket_id=second.id, to_ticket_id=third.id)
    repointed = conversations.repoint_merged(
        session, from_ticket_id=second.id, to_ticket_id=third.id
    )
    second.status, second.merged_into_id = TicketStatus.CLOSED, third.id
    session.add(second)
    session.commit()

    assert (moved, repointed) == (1, 1)
    session.expire_all()
    assert first.merged_into_id == third.id and second.merged_into_id == third.id
    assert {t.id for t in conversations.merged_into(session, ticket_id=third.id)} == {
        first.id,
        second.id,
    }
    assert conversations.merged_into(session, ticket_id=second.id) == []
    root = messages.find_message(session, channel_id=CHANNEL, ts=second.root_ts)
    assert root is not None and root.ticket_id == third.id
