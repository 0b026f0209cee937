"""Query functions for the leads' daily digest: the day's ticket counts and its outbox row.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import distinct, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store import statuses
from store.models import Activity, DailyDigest, Ticket

RESOLVING = ("resolved", "self_served")


def tickets_created(session: Session, *, start: datetime, end: datetime) -> int:
    """Tickets opened in [start, end)."""
    statement = select(func.count()).where(
        col(Ticket.created_at) >= start, col(Ticket.created_at) < end
    )
    return int(session.exec(statement).one())


def tickets_resolved(session: Session, *, start: datetime, end: datetime) -> int:
    """Tickets resolved in [start, end) (by agents or self-served), each counted once."""
    statement = select(func.count(distinct(Activity.ticket_id))).where(
        col(Activity.action).in_(RESOLVING), col(Activity.at) >= start, col(Activity.at) < end
    )
    return int(session.exec(statement).one())


def tickets_open(session: Session) -> int:
    """Tickets not resolved or closed right now."""
    statement = select(func.count()).where(col(Ticket.status).in_(statuses.LIVE))
    return int(session.exec(statement).one())


def add_digest(session: Session, *, day: date, channel: str, now: datetime) -> bool:
    """Write the day's digest row unless it exists (the unique day makes it once)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert(DailyDigest)
        .values(
            day=day,
            channel=channel,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["day"])
        .returning(col(DailyDigest.id))
    )
    session.flush()
    # The returned id, not rowcount: through SQLAlchemy, psycopg reports -1 rows here.
    return result.first() is not None


def claim_digests(session: Session, *, now: datetime, lease_until: datetime) -> list[Any]:
    """Lease the pending digests that are due (SKIP LOCKED: one replica each).

    Rows with id, day, channel and attempts.
    """
    due = (
        select(col(DailyDigest.id))
        .where(DailyDigest.status == "pending", col(DailyDigest.next_attempt_at) <= now)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(DailyDigest)
        .where(col(DailyDigest.id).in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until)
        .returning(
            col(DailyDigest.id),
            col(DailyDigest.day),
            col(DailyDigest.channel),
            col(DailyDigest.attempts),
        )
        .execution_options(synchronize_session=False)
    )
    claimed = list(session.execute(statement).all())
    session.flush()
    return claimed


def finish_digest(session: Session, *, digest_id: int, status: str, at: datetime) -> None:
    """Mark a digest sent, or dropped (the leak guard refused its channel)."""
    session.execute(
        update(DailyDigest)
        .where(col(DailyDigest.id) == digest_id)
        .values(status=status, sent_at=at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def retry_digest(session: Session, *, digest_id: int, retry_at: datetime) -> None:
    """Count a failed attempt and schedule the next one."""
    session.execute(
        update(DailyDigest)
        .where(col(DailyDigest.id) == digest_id)
        .values(attempts=DailyDigest.attempts + 1, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def digests(session: Session) -> list[DailyDigest]:
    """Every digest row, oldest first (for tests and inspection)."""
    return list(session.exec(select(DailyDigest).order_by(col(DailyDigest.id))))
