"""store.tickets: numbering, lookups by number and by thread, merges followed, the lease."""

from datetime import timedelta

from sqlmodel import Session

from store import messages, tickets
from store.models import AuthorRole, Message, TicketStatus
from tests.store.conftest import CHANNEL, CUSTOMER, NOW, WORKSPACE, NewTicket


def test_numbers_count_up_per_workspace(session: Session) -> None:
    numbers = [tickets.next_ticket_number(session, workspace_id=WORKSPACE) for _ in range(3)]
    other = tickets.next_ticket_number(session, workspace_id="T0OTHER")
    assert numbers == [1, 2, 3] and other == 1


def test_a_created_ticket_is_found_by_id_number_and_thread(
    session: Session, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(subject="Export fails")
    session.commit()
    assert ticket.id is not None

    assert tickets.get_ticket(session, ticket_id=ticket.id) == ticket
    found = tickets.find_ticket_by_number(session, workspace_id=WORKSPACE, number=ticket.number)
    assert found is not None and found.subject == "Export fails"
    assert tickets.find_ticket_by_number(session, workspace_id="T0OTHER", number=1) is None
    by_thread = tickets.find_ticket_by_thread(session, channel_id=CHANNEL, root_ts=ticket.root_ts)
    assert by_thread is not None and by_thread.id == ticket.id
    assert (
        tickets.find_ticket_by_thread(session, channel_id="C0OTHER", root_ts=ticket.root_ts) is None
    )


def test_a_thread_lives_on_in_the_ticket_it_was_merged_into(
    session: Session, new_ticket: NewTicket
) -> None:
    survivor = new_ticket()
    merged = new_ticket(status=TicketStatus.CLOSED, merged_into_id=survivor.id)
    reply = messages.add_message(
        session,
        message=Message(
            ticket_id=merged.id,
            channel_id=CHANNEL,
            ts="1772442100.000001",
            thread_ts=merged.root_ts,
            user_id=CUSTOMER,
            role=AuthorRole.CUSTOMER,
            text="any news?",
            sent_at=NOW,
        ),
    )
    session.commit()

    home = tickets.thread_ticket(session, channel_id=CHANNEL, thread_ts=merged.root_ts)
    assert home is not None and home.id == survivor.id
    under_reply = tickets.thread_ticket(session, channel_id=CHANNEL, thread_ts=reply.ts)
    assert under_reply is not None and under_reply.id == survivor.id
    assert tickets.thread_ticket(session, channel_id=CHANNEL, thread_ts="1.2") is None
    assert tickets.follow_merges(session, ticket=merged) == survivor
    assert tickets.follow_merges(session, ticket=survivor) == survivor


def test_unfinished_tickets_are_leased_to_one_finisher_at_a_time(
    session: Session, new_ticket: NewTicket
) -> None:
    waiting = new_ticket()
    new_ticket(triage_ts="1772442000.999999")  # has its card
    new_ticket(status=TicketStatus.RESOLVED)  # done: nothing to finish
    session.commit()

    def claim(now_offset: timedelta) -> list[int | None]:
        now = NOW + now_offset
        claimed = tickets.claim_unfinished_tickets(
            session,
            workspace_id=WORKSPACE,
            created_after=NOW - timedelta(hours=1),
            created_before=NOW + timedelta(hours=1),
            now=now,
            lease_until=now + timedelta(minutes=2),
        )
        session.commit()
        return [ticket.id for ticket in claimed]

    assert claim(timedelta(0)) == [waiting.id]
    assert claim(timedelta(minutes=1)) == []  # leased to the first finisher
    assert claim(timedelta(minutes=3)) == [waiting.id]  # the lease ran out
    renewed = tickets.renew_followup_leases(
        session, ticket_ids=[waiting.id or 0], lease_until=NOW + timedelta(minutes=30)
    )
    session.commit()
    assert renewed == 1 and claim(timedelta(minutes=10)) == []


def test_tickets_of_an_unknown_organization_move_to_the_real_one(
    session: Session, new_ticket: NewTicket
) -> None:
    unknown = {"customer_team_id": "unknown", "is_external": True}
    first, other, known = (
        new_ticket(**unknown),
        new_ticket(customer_id="UCUST2", **unknown),
        new_ticket(),
    )
    for ticket in (first, other, known):
        messages.add_message(
            session,
            message=Message(
                ticket_id=ticket.id,
                channel_id=CHANNEL,
                ts=ticket.root_ts,
                user_id=ticket.customer_id,
                user_team_id=ticket.customer_team_id,
                role=AuthorRole.CUSTOMER,
                text=ticket.subject,
                sent_at=NOW,
            ),
        )
    session.commit()
    waiting = tickets.customers_in_team(
        session, workspace_id=WORKSPACE, team_id="unknown", limit=10
    )
    assert waiting == ["UCUST2", CUSTOMER]  # newest first
    assert tickets.customers_in_team(
        session, workspace_id=WORKSPACE, team_id="unknown", limit=1
    ) == ["UCUST2"]

    moved = tickets.move_customer_team(
        session,
        workspace_id=WORKSPACE,
        customer_id=CUSTOMER,
        from_team="unknown",
        to_team=WORKSPACE,
    )
    session.commit()
    session.expire_all()
    assert moved == [first.id]
    assert (first.customer_team_id, first.is_external) == (WORKSPACE, False)
    assert other.customer_team_id == "unknown" and known.customer_team_id == "T0ACME"
    root = messages.find_message(session, channel_id=CHANNEL, ts=first.root_ts)
    assert root is not None and root.user_team_id == WORKSPACE
