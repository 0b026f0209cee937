"""Query functions for ticket messages: storing them, their edit history, early edits.

An edit or delete Slack delivers before its message is held here (keyed by channel and
ts) until the message is stored. All take a Session and keyword arguments, flush, and
leave the commit to the caller.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, true, update
from sqlmodel import Session, col, select

from store.db import lock_until_commit
from store.models import AuthorRole, HeldChange, Message, MessageRevision

MESSAGE_AT = select(Message).where(
    col(Message.channel_id) == bindparam("channel_id"), col(Message.ts) == bindparam("ts")
)
_HELD_CHANGES = (
    select(HeldChange)
    .where(
        col(HeldChange.channel_id) == bindparam("channel_id"), col(HeldChange.ts) == bindparam("ts")
    )
    .order_by(col(HeldChange.at))
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
    session: Session, *, ticket_id: int, channel_id: str, thread_ts: str, customer_id: str
) -> int:
    """Attach replies stored before their thread became a ticket; return how many.

    The ticket's requester (`customer_id`) is its customer, even an agent asking for help.
    """
    requester = str(AuthorRole.CUSTOMER)
    result = session.execute(
        update(Message)
        .where(
            col(Message.channel_id) == channel_id,
            col(Message.thread_ts) == thread_ts,
            col(Message.ticket_id).is_(None),
        )
        .values(
            ticket_id=ticket_id,
            role=case((col(Message.user_id) == customer_id, requester), else_=col(Message.role)),
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def first_agent_reply(
    session: Session, *, ticket_id: int, since: datetime | None = None
) -> Message | None:
    """The earliest agent message of a ticket still standing (by Slack timestamp),
    sent at or after `since` when given."""
    statement = (
        select(Message)
        .where(
            Message.ticket_id == ticket_id,
            Message.role == AuthorRole.AGENT,
            col(Message.deleted_at).is_(None),
            col(Message.sent_at) >= since if since is not None else true(),
        )
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
