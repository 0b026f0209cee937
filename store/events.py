"""Query functions for the audit trail of tickets and the keys of events already taken in.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from store.models import Activity, ProcessedEvent

# Built once: every stored event runs these, and building an ORM statement costs more
# than executing it.
_RECORD_EVENT = insert(ProcessedEvent.__table__)  # type: ignore[attr-defined]
_ADD_ACTIVITY = insert(Activity.__table__)  # type: ignore[attr-defined]


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
