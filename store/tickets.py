"""Query functions for tickets: numbering, lookups, following merges, the follow-up lease.

A ticket's messages are in `store.messages`, its audit trail in `store.events`. All take
a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select

from store import messages, statuses
from store.db import in_chunks
from store.models import Message, Ticket, TicketCounter

_THREAD_ROOT = (
    select(Ticket)
    .where(
        col(Ticket.channel_id) == bindparam("channel_id"),
        col(Ticket.root_ts) == bindparam("root_ts"),
    )
    .with_for_update()
)

_COUNTER = TicketCounter.__table__  # type: ignore[attr-defined]
_NEXT_NUMBER = (
    update(_COUNTER)
    .where(_COUNTER.c.workspace_id == bindparam("b_workspace_id"))
    .values(last_number=_COUNTER.c.last_number + 1)
    .returning(_COUNTER.c.last_number)
)


@cache
def _counter_statement(dialect: str) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_COUNTER).on_conflict_do_nothing(index_elements=["workspace_id"])


def next_ticket_number(session: Session, *, workspace_id: str) -> int:
    """Hand out the workspace's next ticket number (atomic: the row lock serialises)."""
    session.execute(
        _counter_statement(session.get_bind().dialect.name),
        {"workspace_id": workspace_id, "last_number": 0},
    )
    number = session.execute(_NEXT_NUMBER, {"b_workspace_id": workspace_id}).scalar_one()
    return int(number)


def add_ticket(session: Session, *, ticket: Ticket) -> Ticket:
    """Insert a new ticket and return it with its id."""
    session.add(ticket)
    session.flush()
    return ticket


def get_ticket(session: Session, *, ticket_id: int) -> Ticket | None:
    """Load a ticket by its database id."""
    return session.get(Ticket, ticket_id)


def find_ticket_by_thread(session: Session, *, channel_id: str, root_ts: str) -> Ticket | None:
    """The ticket whose root message is this channel+ts, if any."""
    statement = select(Ticket).where(Ticket.channel_id == channel_id, Ticket.root_ts == root_ts)
    return session.exec(statement).first()


def thread_ticket(session: Session, *, channel_id: str, thread_ts: str) -> Ticket | None:
    """The live home of a thread: the ticket it roots or whose message it hangs under,
    followed to the surviving ticket when that one was merged (locked against a merge).
    """
    ticket = session.scalars(_THREAD_ROOT, {"channel_id": channel_id, "root_ts": thread_ts}).first()
    if ticket is None:
        message = messages.find_message(session, channel_id=channel_id, ts=thread_ts)
        if message is None or message.ticket_id is None:
            return None
        ticket = _locked(session, message.ticket_id)
    while ticket is not None and ticket.merged_into_id is not None:
        ticket = _locked(session, ticket.merged_into_id)
    return ticket


def _locked(session: Session, ticket_id: int) -> Ticket | None:
    return session.exec(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def follow_merges(session: Session, *, ticket: Ticket | None) -> Ticket | None:
    """The ticket a merged ticket now lives on (itself when it was not merged)."""
    if ticket is None or ticket.merged_into_id is None:
        return ticket
    return get_ticket(session, ticket_id=ticket.merged_into_id) or ticket


TICKET_NUMBERED = select(Ticket).where(
    col(Ticket.workspace_id) == bindparam("workspace_id"), col(Ticket.number) == bindparam("number")
)


def find_ticket_by_number(session: Session, *, workspace_id: str, number: int) -> Ticket | None:
    """The ticket shown as `#number` in a workspace, if any."""
    parameters = {"workspace_id": workspace_id, "number": number}
    return session.exec(TICKET_NUMBERED, params=parameters).first()


_TICKET = Ticket.__table__  # type: ignore[attr-defined]
# Every new ticket records its card: built once, run with parameters.
_SET_MIRROR = update(_TICKET).where(_TICKET.c.id == bindparam("b_id"))


def set_triage_card(
    session: Session, *, ticket_id: int, channel_id: str, ts: str, permalink: str | None
) -> None:
    """Remember where the ticket's triage-channel card lives."""
    parameters = {"b_id": ticket_id, "triage_channel_id": channel_id, "triage_ts": ts}
    session.execute(_SET_MIRROR, {**parameters, "permalink": permalink})
    session.flush()


def claim_unfinished_tickets(
    session: Session,
    *,
    workspace_id: str,
    created_after: datetime,
    created_before: datetime,
    now: datetime,
    lease_until: datetime,
    limit: int = 50,
) -> list[Ticket]:
    """Live tickets created in the window with no triage card, leased until `lease_until`.

    Rows another replica is finishing are skipped (SKIP LOCKED, then the lease).
    """
    query = (
        select(Ticket)
        .where(
            Ticket.workspace_id == workspace_id,
            col(Ticket.triage_ts).is_(None),
            col(Ticket.status).in_(statuses.LIVE),
            col(Ticket.created_at) > created_after,
            col(Ticket.created_at) < created_before,
            or_(
                col(Ticket.followup_lease_until).is_(None),
                col(Ticket.followup_lease_until) <= now,
            ),
        )
        .order_by(col(Ticket.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    tickets = list(session.exec(query))
    for ticket in tickets:
        ticket.followup_lease_until = lease_until
        session.add(ticket)
    session.flush()
    return tickets


def renew_followup_leases(session: Session, *, ticket_ids: list[int], lease_until: datetime) -> int:
    """Extend the follow-up lease of tickets whose welcome this replica is still posting."""
    renewed = 0
    for chunk in in_chunks(ticket_ids):
        result = session.execute(
            update(Ticket)
            .where(col(Ticket.id).in_(chunk), col(Ticket.triage_ts).is_(None))
            .values(followup_lease_until=lease_until)
        )
        renewed += result.rowcount
    session.flush()
    return renewed


def customers_in_team(
    session: Session, *, workspace_id: str, team_id: str, limit: int
) -> list[str]:
    """Customers with tickets recorded under `team_id`, newest tickets first, at most `limit`."""
    query = (
        select(Ticket.customer_id, func.max(Ticket.id))
        .where(Ticket.workspace_id == workspace_id, Ticket.customer_team_id == team_id)
        .group_by(col(Ticket.customer_id))
        .order_by(func.max(Ticket.id).desc())
        .limit(limit)
    )
    return [customer for customer, _ in session.exec(query)]


def move_customer_team(
    session: Session, *, workspace_id: str, customer_id: str, from_team: str, to_team: str
) -> list[int]:
    """Record the customer's tickets (and their messages there) under their real team;
    the ids of the tickets moved."""
    found = session.exec(
        select(Ticket.id).where(
            Ticket.workspace_id == workspace_id,
            Ticket.customer_id == customer_id,
            Ticket.customer_team_id == from_team,
        )
    )
    ids = [ticket_id for ticket_id in found if ticket_id is not None]
    for chunk in in_chunks(ids):
        session.execute(
            update(Ticket)
            .where(col(Ticket.id).in_(chunk))
            .values(customer_team_id=to_team, is_external=to_team != workspace_id)
        )
        session.execute(
            update(Message)
            .where(
                col(Message.ticket_id).in_(chunk),
                col(Message.user_id) == customer_id,
                col(Message.user_team_id) == from_team,
            )
            .values(user_team_id=to_team)
        )
    session.flush()
    return ids
