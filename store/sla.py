"""Query functions for the SLA sweep: tickets owing alerts, and the notification outbox.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
Row locks use `FOR UPDATE SKIP LOCKED` on PostgreSQL so that several `deskbot run`
replicas sweep side by side without taking the same rows; SQLite serialises writers.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import SlaNotification, Ticket, TicketPause
from store.types import UTCDateTime

SWEEP_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.permalink,
    Ticket.assignee_id,
    Ticket.channel_id,
    Ticket.priority,
    Ticket.status,
    Ticket.created_at,
    Ticket.first_response_at,
    Ticket.last_customer_message_at,
    Ticket.last_agent_message_at,
    Ticket.reopen_count,
    Ticket.sla_waiting_since,
    Ticket.sla_cycle_started_at,
    Ticket.sla_swept_until,
)


def tickets_owing_alerts(session: Session, *, now: datetime, limit: int = 2000) -> list[Any]:
    """Live tickets whose next SLA alert moment has come, locked for this sweeper.

    Only the columns the sweep needs, as rows (no ORM objects): one indexed range scan on
    `sla_alert_at`, rows other sweepers hold are skipped.
    """
    statement = (
        select(*SWEEP_COLUMNS)
        .where(
            col(Ticket.sla_alert_at) <= now,
            col(Ticket.status).in_(["new", "open", "pending"]),
        )
        .order_by(col(Ticket.sla_alert_at))
        .limit(limit)
        .with_for_update(skip_locked=True, of=Ticket)  # type: ignore[arg-type]
    )
    return list(session.execute(statement))


def pauses_by_ticket(
    session: Session, *, ticket_ids: Sequence[int]
) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """The waiting-on-customer stretches of many tickets in one query, oldest first."""
    found: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for chunk in _chunks(ticket_ids):
        statement = (
            select(TicketPause.ticket_id, TicketPause.started_at, TicketPause.ended_at)
            .where(col(TicketPause.ticket_id).in_(chunk))
            .order_by(col(TicketPause.ticket_id), col(TicketPause.id))
        )
        for ticket_id, started, ended in session.execute(statement):
            found[ticket_id].append((started, ended))
    return found


def add_notifications(session: Session, *, rows: Sequence[dict[str, Any]]) -> int:
    """Write many notifications at once, skipping keys that exist; how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for start in range(0, len(rows), 500):
        statement = (
            insert(SlaNotification)
            .values(list(rows[start : start + 500]))
            .on_conflict_do_nothing(index_elements=["ticket_id", "target", "level", "cycle"])
            .returning(col(SlaNotification.id))
        )
        added += len(session.execute(statement).all())
    session.flush()
    return added


def set_sweep_marks(session: Session, *, marks: Sequence[dict[str, Any]]) -> None:
    """Record per ticket how far it was swept and when it next needs the sweep.

    `marks` are {"b_id", "b_swept", "b_alert"}; one executemany UPDATE.
    """
    if not marks:
        return
    table = Ticket.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            sla_swept_until=bindparam("b_swept", type_=UTCDateTime()),
            sla_alert_at=bindparam("b_alert", type_=UTCDateTime()),
        )
    )
    session.connection().execute(statement, list(marks))
    session.flush()


def _chunks(ids: Sequence[int], size: int = 5000) -> list[list[int]]:
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def add_notification(session: Session, *, notification: SlaNotification) -> bool:
    """Write a notification unless its (ticket, target, level, cycle) exists already."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = notification.model_dump(exclude={"id"})
    result = session.execute(
        insert(SlaNotification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["ticket_id", "target", "level", "cycle"])
    )
    session.flush()
    return bool(result.rowcount)


def claim_notifications(
    session: Session, *, now: datetime, lease_until: datetime, limit: int = 10_000
) -> list[SlaNotification]:
    """Take pending notifications that are due, leasing them until `lease_until`.

    A sweeper that crashes after sending but before marking leaves the lease to expire,
    so a notification is sent again at most once per such crash.
    """
    statement = (
        select(SlaNotification)
        .where(SlaNotification.status == "pending", col(SlaNotification.next_attempt_at) <= now)
        .order_by(col(SlaNotification.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = list(session.exec(statement))
    for chunk in _chunks([n.id for n in claimed if n.id is not None]):
        session.execute(
            update(SlaNotification)
            .where(col(SlaNotification.id).in_(chunk))
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return claimed


def mark_sent(session: Session, *, ids: list[int], at: datetime) -> None:
    """Record that notifications were delivered."""
    for chunk in _chunks(ids):
        session.execute(
            update(SlaNotification)
            .where(col(SlaNotification.id).in_(chunk))
            .values(status="sent", sent_at=at)
            .execution_options(synchronize_session=False)
        )
    session.flush()


def mark_dropped(session: Session, *, ids: list[int], at: datetime) -> None:
    """Record notifications that must not be sent (the leak guard refused the target)."""
    for chunk in _chunks(ids):
        session.execute(
            update(SlaNotification)
            .where(col(SlaNotification.id).in_(chunk))
            .values(status="dropped", sent_at=at)
            .execution_options(synchronize_session=False)
        )
    session.flush()


def mark_failed(session: Session, *, ids: list[int], retry_at: datetime) -> None:
    """Count a failed attempt and schedule the next one."""
    for chunk in _chunks(ids):
        session.execute(
            update(SlaNotification)
            .where(col(SlaNotification.id).in_(chunk))
            .values(attempts=SlaNotification.attempts + 1, next_attempt_at=retry_at)
            .execution_options(synchronize_session=False)
        )
    session.flush()


def notifications(session: Session) -> list[SlaNotification]:
    """Every notification, oldest first (for tests and inspection)."""
    return list(session.exec(select(SlaNotification).order_by(col(SlaNotification.id))))
