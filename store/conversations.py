"""Query functions for conversations: grouping neighbours, merges, likely duplicates.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select

from store import statuses
from store.db import lock_until_commit
from store.models import Message, Ticket, TicketDuplicate, TicketLink, TicketTag


def lock_conversation(session: Session, *, channel_id: str, user_id: str) -> None:
    """Serialise intake of one person's top-level messages in one channel until commit."""
    lock_until_commit(session, key=f"conversation:{channel_id}:{user_id}")


def _top_level() -> Any:
    return or_(col(Message.thread_ts).is_(None), col(Message.thread_ts) == col(Message.ts))


def group_neighbours(
    session: Session, *, channel_id: str, user_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, int]]:
    """(sent_at, ticket id) of the person's top-level messages in live tickets in a span."""
    statement = (
        select(Message.sent_at, Message.ticket_id)
        .join(Ticket, col(Ticket.id) == col(Message.ticket_id))
        .where(
            col(Message.channel_id) == channel_id,
            col(Message.user_id) == user_id,
            _top_level(),
            col(Message.sent_at) >= start,
            col(Message.sent_at) <= end,
            col(Ticket.status).in_(statuses.LIVE),
            col(Ticket.merged_into_id).is_(None),
        )
        .order_by(col(Message.sent_at))
    )
    return [(sent_at, int(ticket_id)) for sent_at, ticket_id in session.exec(statement)]


def lock_tickets(session: Session, *, ticket_ids: Sequence[int]) -> list[Ticket]:
    """Load tickets with row locks, in id order (a fixed order cannot deadlock)."""
    statement = (
        select(Ticket)
        .where(col(Ticket.id).in_(sorted(set(ticket_ids))))
        .order_by(col(Ticket.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement))


def move_messages(session: Session, *, from_ticket_id: int, to_ticket_id: int) -> int:
    """Give every message of one ticket to another; return how many moved."""
    result = session.execute(
        update(Message)
        .where(col(Message.ticket_id) == from_ticket_id)
        .values(ticket_id=to_ticket_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def copy_labels(session: Session, *, from_ticket_id: int, to_ticket_id: int) -> None:
    """Give a ticket the tags and links of another (those it already has stay single)."""
    insert = _insert(session)
    tags = session.exec(select(TicketTag.tag).where(TicketTag.ticket_id == from_ticket_id)).all()
    links = session.exec(select(TicketLink.ref).where(TicketLink.ticket_id == from_ticket_id)).all()
    for tag in tags:
        session.execute(
            insert(TicketTag)
            .values(ticket_id=to_ticket_id, tag=tag)
            .on_conflict_do_nothing(index_elements=["ticket_id", "tag"])
        )
    for ref in links:
        session.execute(
            insert(TicketLink)
            .values(ticket_id=to_ticket_id, ref=ref)
            .on_conflict_do_nothing(index_elements=["ticket_id", "ref"])
        )
    session.flush()


def repoint_merged(session: Session, *, from_ticket_id: int, to_ticket_id: int) -> int:
    """Tickets merged into one that is now merged itself point at the new survivor."""
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.merged_into_id) == from_ticket_id)
        .values(merged_into_id=to_ticket_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# The triage card reads these for every new ticket and every fresher card, and a
# duplicate scan runs for every new ticket: built once, run with parameters.
_MERGED_INTO = (
    select(Ticket)
    .where(col(Ticket.merged_into_id) == bindparam("ticket_id"))
    .order_by(col(Ticket.merged_at), col(Ticket.id))
)
_OPENING = (
    select(Message)
    .where(
        col(Message.ticket_id) == bindparam("ticket_id"),
        col(Message.channel_id) == bindparam("channel_id"),
        col(Message.user_id) == bindparam("user_id"),
        col(Message.deleted_at).is_(None),
        _top_level(),
    )
    .order_by(col(Message.sent_at))
    .limit(bindparam("limit"))
)
_CANDIDATES = (
    select(Ticket.id, Ticket.channel_id, Ticket.customer_id, Ticket.created_at)
    .where(
        col(Ticket.workspace_id) == bindparam("workspace_id"),
        col(Ticket.status).in_(statuses.LIVE),
        col(Ticket.merged_into_id).is_(None),
        col(Ticket.created_at) >= bindparam("since"),
        col(Ticket.created_at) <= bindparam("before"),
        col(Ticket.id) != bindparam("exclude_id"),
    )
    .order_by(col(Ticket.created_at).desc())
    .limit(bindparam("limit"))
    .subquery()
)
# The first few messages of each candidate's opening (what the card's conversation
# shows): a grouped "hi" / "quick question" / "the export fails" is about the export.
_PLACE = (
    func.row_number()
    .over(partition_by=col(Message.ticket_id), order_by=(col(Message.sent_at), col(Message.ts)))
    .label("place")
)
_OPENINGS = (
    select(
        col(Message.ticket_id).label("ticket_id"),
        func.substr(col(Message.text), 1, bindparam("max_chars")).label("text"),
        _CANDIDATES.c.created_at,
        _PLACE,
    )
    .join(
        _CANDIDATES,
        and_(
            col(Message.ticket_id) == _CANDIDATES.c.id,
            col(Message.channel_id) == _CANDIDATES.c.channel_id,
            col(Message.user_id) == _CANDIDATES.c.customer_id,
        ),
    )
    .where(col(Message.deleted_at).is_(None), _top_level())
    .subquery()
)
RECENT_OPEN = (
    select(_OPENINGS.c.ticket_id, _OPENINGS.c.text)
    .where(_OPENINGS.c.place <= bindparam("per_ticket"))
    .order_by(_OPENINGS.c.created_at.desc(), _OPENINGS.c.ticket_id, _OPENINGS.c.place)
)
_LIVE_DUPLICATES = (
    select(Ticket)
    .join(TicketDuplicate, col(TicketDuplicate.duplicate_of_id) == col(Ticket.id))
    .where(
        col(TicketDuplicate.ticket_id) == bindparam("ticket_id"),
        col(Ticket.status).in_(statuses.LIVE),
        col(Ticket.merged_into_id).is_(None),
    )
    .order_by(col(TicketDuplicate.score).desc(), col(Ticket.id))
    .limit(bindparam("limit"))
)


@cache
def _add_duplicate_statement(dialect: str) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = TicketDuplicate.__table__  # type: ignore[attr-defined]
    return insert(table).on_conflict_do_nothing(index_elements=["ticket_id", "duplicate_of_id"])


def merged_into(session: Session, *, ticket_id: int) -> list[Ticket]:
    """The tickets folded into this one, in merge order."""
    return list(session.scalars(_MERGED_INTO, {"ticket_id": ticket_id}))


def opening_messages(session: Session, *, ticket: Ticket, limit: int = 50) -> list[Message]:
    """The customer's top-level messages that make up the ticket's question, in order."""
    parameters = {
        "ticket_id": ticket.id,
        "channel_id": ticket.channel_id,
        "user_id": ticket.customer_id,
        "limit": limit,
    }
    return list(session.scalars(_OPENING, parameters))


def recent_open_questions(
    session: Session,
    *,
    workspace_id: str,
    since: datetime,
    before: datetime,
    exclude_id: int,
    limit: int,
    max_chars: int,
    per_ticket: int = 1,
) -> list[tuple[int, list[str]]]:
    """(ticket id, its opening messages' first `max_chars` characters each) of at most
    `limit` live tickets opened in [since, before], newest first: the customer's first
    `per_ticket` top-level messages of each, oldest first.

    Plain columns, not ORM objects: a scan reads hundreds of rows on every new ticket.
    """
    parameters = {
        "workspace_id": workspace_id,
        "since": since,
        "before": before,
        "exclude_id": exclude_id,
        "limit": limit,
        "max_chars": max_chars,
        "per_ticket": per_ticket,
    }
    openings: dict[int, list[str]] = {}
    for ticket_id, message_text in session.execute(RECENT_OPEN, parameters):
        openings.setdefault(int(ticket_id), []).append(message_text)
    return list(openings.items())


def add_duplicate(
    session: Session, *, ticket_id: int, duplicate_of_id: int, score: float, at: datetime
) -> None:
    """Remember a likely duplicate (once per pair; a second sighting changes nothing)."""
    session.execute(
        _add_duplicate_statement(session.get_bind().dialect.name),
        {
            "ticket_id": ticket_id,
            "duplicate_of_id": duplicate_of_id,
            "score": score,
            "found_at": at,
        },
    )
    session.flush()


def live_duplicates(session: Session, *, ticket_id: int, limit: int) -> list[Ticket]:
    """The likely duplicates of a ticket still worth merging into, best first."""
    return list(session.scalars(_LIVE_DUPLICATES, {"ticket_id": ticket_id, "limit": limit}))


def known_issue_organizations(session: Session, *, workspace_id: str) -> list[tuple[int, int]]:
    """(surviving ticket id, distinct customer organizations) for issues with merges."""
    issue = func.coalesce(col(Ticket.merged_into_id), col(Ticket.id))
    statement = (
        select(issue, func.count(func.distinct(Ticket.customer_team_id)))
        .where(Ticket.workspace_id == workspace_id)
        .group_by(issue)
        .having(func.count() > 1)
        .order_by(issue)
    )
    return [(int(ticket_id), int(count)) for ticket_id, count in session.exec(statement)]


def linked_issue_organizations(session: Session, *, workspace_id: str) -> list[tuple[str, int]]:
    """(link ref, distinct customer organizations) over the tickets linked to each ref.

    A ticket merged into a linked ticket counts for its link too.
    """
    statement = (
        select(TicketLink.ref, func.count(func.distinct(Ticket.customer_team_id)))
        .join(
            Ticket,
            func.coalesce(col(Ticket.merged_into_id), col(Ticket.id)) == col(TicketLink.ticket_id),
        )
        .where(Ticket.workspace_id == workspace_id)
        .group_by(TicketLink.ref)
        .order_by(TicketLink.ref)
    )
    return [(ref, int(count)) for ref, count in session.exec(statement)]
