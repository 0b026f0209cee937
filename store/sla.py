"""Query functions for the SLA sweep: tickets owing alerts, and the notification outbox.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
Row locks use `FOR UPDATE SKIP LOCKED` on PostgreSQL so that several `deskbot run`
replicas sweep side by side without taking the same rows; SQLite serialises writers.
"""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import SlaNotification, Ticket


def tickets_owing_alerts(session: Session, *, now: datetime, limit: int = 500) -> list[Ticket]:
    """Live tickets whose next SLA alert moment has come, locked for this sweeper."""
    statement = (
        select(Ticket)
        .where(
            col(Ticket.sla_alert_at) <= now,
            col(Ticket.status).in_(["new", "open", "pending"]),
        )
        .order_by(col(Ticket.sla_alert_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(statement))


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
    session: Session, *, now: datetime, lease_until: datetime, limit: int = 200
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
    for notification in claimed:
        notification.next_attempt_at = lease_until
        session.add(notification)
    session.flush()
    return claimed


def mark_sent(session: Session, *, ids: list[int], at: datetime) -> None:
    """Record that notifications were delivered."""
    session.execute(
        update(SlaNotification)
        .where(col(SlaNotification.id).in_(ids))
        .values(status="sent", sent_at=at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def mark_dropped(session: Session, *, ids: list[int], at: datetime) -> None:
    """Record notifications that must not be sent (the leak guard refused the target)."""
    session.execute(
        update(SlaNotification)
        .where(col(SlaNotification.id).in_(ids))
        .values(status="dropped", sent_at=at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def mark_failed(session: Session, *, ids: list[int], retry_at: datetime) -> None:
    """Count a failed attempt and schedule the next one."""
    session.execute(
        update(SlaNotification)
        .where(col(SlaNotification.id).in_(ids))
        .values(attempts=SlaNotification.attempts + 1, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def notifications(session: Session) -> list[SlaNotification]:
    """Every notification, oldest first (for tests and inspection)."""
    return list(session.exec(select(SlaNotification).order_by(col(SlaNotification.id))))
