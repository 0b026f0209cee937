"""The event inbox: message events kept from acknowledgement until intake has stored them."""

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable
from sqlmodel import Session, col

from store.db import in_chunks
from store.models import InboxEvent

_TABLE = InboxEvent.__table__  # type: ignore[attr-defined]
_REMOVE = delete(_TABLE).where(_TABLE.c.id == bindparam("event_id"))


@cache
def _add_statement(dialect: str) -> Executable:
    # Built once per dialect: every acknowledged event runs it, and building an ORM insert
    # (and its cache key) costs more than executing it.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_TABLE).on_conflict_do_nothing(index_elements=["event_key"]).returning(_TABLE.c.id)
    )


def add_event(
    session: Session,
    *,
    event_key: str,
    payload: dict[str, Any],
    received_at: datetime,
    lease_until: datetime,
) -> int | None:
    """Keep an event; None when its key is already here (a redelivery still in hand)."""
    row_id = session.execute(
        _add_statement(session.get_bind().dialect.name),
        {
            "event_key": event_key,
            "payload": payload,
            "received_at": received_at,
            "lease_until": lease_until,
            "attempts": 0,
        },
    ).scalar_one_or_none()
    session.flush()
    return row_id


def remove_event(session: Session, *, event_id: int) -> None:
    """Forget an event intake has finished with."""
    session.execute(_REMOVE, {"event_id": event_id})
    session.flush()


def renew_leases(session: Session, *, event_ids: list[int], lease_until: datetime) -> int:
    """Extend the leases of events this replica still holds; returns how many were renewed."""
    renewed = 0
    for chunk in in_chunks(event_ids):
        result = session.execute(
            update(InboxEvent)
            .where(col(InboxEvent.id).in_(chunk), col(InboxEvent.failed_at).is_(None))
            .values(lease_until=lease_until)
        )
        renewed += result.rowcount  # type: ignore[attr-defined]
    session.flush()
    return renewed


def claim_expired(
    session: Session, *, now: datetime, lease_until: datetime, limit: int
) -> list[InboxEvent]:
    """Lease events whose earlier lease ran out (oldest first), skipping ones others hold."""
    query = (
        select(InboxEvent)
        .where(col(InboxEvent.lease_until) <= now, col(InboxEvent.failed_at).is_(None))
        .order_by(col(InboxEvent.lease_until))  # the index order: a claim reads only what it takes
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    for row in rows:
        row.attempts += 1
        row.lease_until = lease_until
    session.flush()
    return rows


def mark_failed(session: Session, *, event_id: int, failed_at: datetime) -> None:
    """Stop retrying an event that keeps failing; it stays for a person to look at."""
    session.execute(
        update(InboxEvent).where(col(InboxEvent.id) == event_id).values(failed_at=failed_at)
    )
    session.flush()


def backlog(session: Session) -> tuple[int, datetime | None]:
    """Events not yet stored (failed ones excluded), and when the oldest of them arrived."""
    count, oldest = session.execute(
        select(func.count(), func.min(col(InboxEvent.received_at)))
        .select_from(InboxEvent)
        .where(col(InboxEvent.failed_at).is_(None))
    ).one()
    return int(count), oldest


def count_waiting(session: Session) -> int:
    """Events not yet stored as tickets and messages (failed ones excluded)."""
    return int(
        session.execute(
            select(func.count()).select_from(InboxEvent).where(col(InboxEvent.failed_at).is_(None))
        ).scalar_one()
    )
