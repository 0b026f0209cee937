"""Query functions for tickets, their messages and the audit trail.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select

from store.db import in_chunks, lock_until_commit
from store.models import (
    Activity,
    AuthorRole,
    HeldChange,
    Message,
    MessageRevision,
    ProcessedEvent,
    Ticket,
    TicketCounter,
    TicketStatus,
)

LIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


# Built once: every stored event runs these, and building an ORM statement costs more
# than executing it.
_RECORD_EVENT = insert(ProcessedEvent.__table__)  # type: ignore[attr-defined]
_ADD_ACTIVITY = insert(Activity.__table__)  # type: ignore[attr-defined]
_HELD_CHANGES = (
    select(HeldChange)
    .where(
        col(HeldChange.channel_id) == bindparam("channel_id"), col(HeldChange.ts) == bindparam("ts")
    )
    .order_by(col(HeldChange.at))
)
_THREAD_ROOT = (
    select(Ticket)
    .where(
        col(Ticket.channel_id) == bindparam("channel_id"),
        col(Ticket.root_ts) == bindparam("root_ts"),
    )
    .with_for_update()
)


def record_event(
    session: Session, *, event_id: str, event_type: str, received_at: datetime
) -> None:
    """Remember an event id; a redelivery then fails the transaction on the primary key."""
    session.execute(
        _RECORD_EVENT,
        {"event_id": event_id, "event_type": event_type, "received_at": received_at},
    )
    session.flush()


def prune_events(session: Session, *, received_before: datetime) -> int:
    """Forget event ids older than Slack ever redelivers; return how many went."""
    result = session.execute(
        delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < received_before)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
        message = find_message(session, channel_id=channel_id, ts=thread_ts)
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


MESSAGE_AT = select(Message).where(
    col(Message.channel_id) == bindparam("channel_id"), col(Message.ts) == bindparam("ts")
)


def find_message(session: Session, *, channel_id: str, ts: str) -> Message | None:
    """The stored message with this channel+ts, if any."""
    return session.exec(MESSAGE_AT, params={"channel_id": channel_id, "ts": ts}).first()


def add_message(session: Session, *, message: Message) -> Message:
    """Insert a message; a redelivered channel+ts fails on the unique key."""
    session.add(message)
    session.flush()
    return message


def adopt_thread_replies(
    session: Session, *, ticket_id: int, channel_id: str, thread_ts: str
) -> int:
    """Attach replies stored before their thread became a ticket; return how many."""
    result = session.execute(
        update(Message)
        .where(
            col(Message.channel_id) == channel_id,
            col(Message.thread_ts) == thread_ts,
            col(Message.ticket_id).is_(None),
        )
        .values(ticket_id=ticket_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def first_agent_reply(session: Session, *, ticket_id: int) -> Message | None:
    """The earliest agent message of a ticket (by Slack timestamp)."""
    statement = (
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.role == AuthorRole.AGENT)
        .order_by(col(Message.sent_at))
        .limit(1)
    )
    return session.exec(statement).first()


def latest_customer_message_at(session: Session, *, ticket_id: int) -> datetime | None:
    """When the customer last wrote in the ticket."""
    statement = select(func.max(Message.sent_at)).where(
        Message.ticket_id == ticket_id, Message.role == AuthorRole.CUSTOMER
    )
    return session.exec(statement).one()


def latest_agent_message_at(session: Session, *, ticket_id: int) -> datetime | None:
    """When an agent last wrote in the ticket."""
    statement = select(func.max(Message.sent_at)).where(
        Message.ticket_id == ticket_id, Message.role == AuthorRole.AGENT
    )
    return session.exec(statement).one()


def ticket_messages(session: Session, *, ticket_id: int) -> list[Message]:
    """A ticket's messages in Slack order."""
    statement = select(Message).where(Message.ticket_id == ticket_id).order_by(col(Message.sent_at))
    return list(session.exec(statement))


def message_revisions(session: Session, *, message_id: int) -> list[MessageRevision]:
    """Earlier versions of a message, oldest first."""
    statement = (
        select(MessageRevision)
        .where(MessageRevision.message_id == message_id)
        .order_by(col(MessageRevision.id))
    )
    return list(session.exec(statement))


def add_revision(
    session: Session, *, message: Message, kind: str, replaced_at: datetime
) -> MessageRevision:
    """Keep the current text of a message before it is edited or deleted."""
    assert message.id is not None
    revision = MessageRevision(
        message_id=message.id,
        kind=kind,
        text=message.text,
        files=list(message.files or []),
        replaced_at=replaced_at,
    )
    session.add(revision)
    session.flush()
    return revision


def add_activity(
    session: Session,
    *,
    ticket_id: int,
    action: str,
    at: datetime,
    actor_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an entry to a ticket's audit trail."""
    values = {
        "ticket_id": ticket_id,
        "action": action,
        "at": at,
        "actor_id": actor_id,
        "detail": detail or {},
    }
    session.execute(_ADD_ACTIVITY, values)
    session.flush()


def ticket_activity(session: Session, *, ticket_id: int) -> list[Activity]:
    """A ticket's audit trail, oldest first."""
    statement = select(Activity).where(Activity.ticket_id == ticket_id).order_by(col(Activity.id))
    return list(session.exec(statement))


_TICKET = Ticket.__table__  # type: ignore[attr-defined]
# Every new ticket records its card: built once, run with parameters.
_SET_MIRROR = update(_TICKET).where(_TICKET.c.id == bindparam("b_id"))


def set_triage_mirror(
    session: Session, *, ticket_id: int, channel_id: str, ts: str, permalink: str | None
) -> None:
    """Remember where the ticket's triage-channel mirror lives."""
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
            col(Ticket.status).in_(LIVE_STATUSES),
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


def lock_message(session: Session, *, channel_id: str, ts: str) -> None:
    """Serialise storing a message with holding changes to it, until commit.

    Without it, an edit arriving while its message is being stored elsewhere could be
    held just after that message looked for held changes, and never be applied.
    """
    lock_until_commit(session, key=f"message:{channel_id}:{ts}")


def hold_change(
    session: Session,
    *,
    channel_id: str,
    ts: str,
    kind: str,
    at: datetime,
    text: str = "",
    files: list[dict[str, Any]] | None = None,
) -> None:
    """Keep an edit or delete of a message not stored yet, until the message arrives."""
    session.add(
        HeldChange(channel_id=channel_id, ts=ts, kind=kind, text=text, files=files or [], at=at)
    )
    session.flush()


def held_changes(session: Session, *, channel_id: str, ts: str) -> list[HeldChange]:
    """The held changes of a message, oldest first."""
    return list(session.scalars(_HELD_CHANGES, {"channel_id": channel_id, "ts": ts}))


def drop_held_changes(session: Session, *, changes: list[HeldChange]) -> None:
    """Remove changes from the holding table (they are being applied)."""
    for change in changes:
        session.delete(change)
    session.flush()


def prune_held_changes(session: Session, *, held_before: datetime) -> int:
    """Forget changes of messages that never arrived (not ours, or older than deskbot)."""
    result = session.execute(delete(HeldChange).where(col(HeldChange.at) < held_before))
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
