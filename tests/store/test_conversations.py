"""store.conversations: merges stay flat, so `merged_into_id` always names the survivor."""

from datetime import timedelta

from sqlmodel import Session

from store import conversations, messages
from store.models import AuthorRole, Message, TicketStatus
from tests.store.conftest import CHANNEL, CUSTOMER, NOW, WORKSPACE, NewTicket


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


def test_recent_open_questions_are_each_tickets_opening_messages_bounded(
    session: Session, new_ticket: NewTicket
) -> None:
    older = new_ticket(created_at=NOW - timedelta(hours=2))
    newer = new_ticket(created_at=NOW - timedelta(hours=1))
    assert older.id and newer.id

    def say(ticket_id: int, ts: str, text: str, **fields: object) -> None:
        values: dict = {"user_id": CUSTOMER, "role": AuthorRole.CUSTOMER, "sent_at": NOW}
        values.update(fields)
        message = Message(ticket_id=ticket_id, channel_id=CHANNEL, ts=ts, text=text, **values)
        messages.add_message(session, message=message)

    for n in range(4):
        say(older.id, f"1.00000{n}", f"older {n} " + "x" * 30, sent_at=NOW + timedelta(seconds=n))
    say(older.id, "1.000009", "gone", deleted_at=NOW)
    say(older.id, "1.000010", "an agent", user_id="UAGENT", role=AuthorRole.AGENT)
    say(older.id, "1.000011", "a reply", thread_ts="1.000000")
    say(newer.id, "2.000000", "newer")
    session.commit()

    found = conversations.recent_open_questions(
        session, workspace_id=WORKSPACE, since=NOW - timedelta(days=1), before=NOW,
        exclude_id=0, limit=10, max_chars=8, per_ticket=3,
    )  # fmt: skip
    assert found == [(newer.id, ["newer"]), (older.id, ["older 0 ", "older 1 ", "older 2 "])]
