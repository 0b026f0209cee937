"""Query functions for the SLA sweep: tickets owing alerts, and the notification outbox.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
Row locks use `FOR UPDATE SKIP LOCKED` on PostgreSQL so that several `deskbot run`
replicas sweep side by side without taking the same rows; SQLite serialises writers.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, any_, bindparam, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select

from store.models import SlaNotification, SlaSchedule, Ticket, TicketPause
from store.sla_models import PENDING, SlaTarget
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
)


def owing_alerts_statement(*, now: datetime, limit: int, postgres: bool) -> Any:
    """The sweep's ticket query (also what the benchmark EXPLAINs).

    The due schedule rows are claimed first (an index range scan on `alert_at`, locked with
    SKIP LOCKED), then their tickets are read by primary key. A plain join let PostgreSQL
    hash or merge-join against a sequential scan of every ticket; `id = ANY(ARRAY(...))`
    keeps it on the primary key.
    """
    due = (
        select(col(SlaSchedule.ticket_id))
        .where(col(SlaSchedule.alert_at) <= now)
        .order_by(col(SlaSchedule.alert_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    among = col(Ticket.id) == any_(func.array(due)) if postgres else col(Ticket.id).in_(due)
    return select(*SWEEP_COLUMNS).where(among)


def tickets_owing_alerts(session: Session, *, now: datetime, limit: int = 2000) -> list[Any]:
    """Tickets whose next SLA alert moment has come, locked for this sweeper.

    Only the columns the sweep needs, as rows (no ORM objects): one indexed range scan on
    `sla_schedule.alert_at`; schedule rows other sweepers hold are skipped. Resolved
    tickets have no alert moment; one closed some other way is swept once and finds
    nothing to say (its state is in the row).
    """
    statement = owing_alerts_statement(now=now, limit=limit, postgres=_is_postgres(session))
    return list(session.execute(statement))


_SCHEDULE = SlaSchedule.__table__  # type: ignore[attr-defined]
# Every change to a ticket reads and writes its schedule: built once, run with parameters.
_SWEPT_UNTIL = select(_SCHEDULE.c.swept_until).where(
    _SCHEDULE.c.ticket_id == bindparam("ticket_id")
)


@cache
def _schedule_statement(dialect: str) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_SCHEDULE)
    return statement.on_conflict_do_update(
        index_elements=["ticket_id"], set_={"alert_at": statement.excluded.alert_at}
    )


def swept_until(session: Session, *, ticket_id: int) -> datetime | None:
    """How far the sweep has handled the ticket's alerts."""
    schedule = session.identity_map.get(session.identity_key(SlaSchedule, ticket_id))
    if schedule is not None:  # loaded (and maybe changed) in this session: it knows best
        return schedule.swept_until  # type: ignore[no-any-return]
    return session.execute(_SWEPT_UNTIL, {"ticket_id": ticket_id}).scalar_one_or_none()


def schedule_alert(session: Session, *, ticket_id: int, alert_at: datetime | None) -> None:
    """Set when the sweep must next look at the ticket (None: never, as it stands)."""
    session.execute(
        _schedule_statement(session.get_bind().dialect.name),
        {"ticket_id": ticket_id, "alert_at": alert_at},
    )
    session.flush()


def pauses_by_ticket(
    session: Session, *, ticket_ids: Sequence[int]
) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """The waiting-on-customer stretches of many tickets in one query, oldest first."""
    found: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    postgres = _is_postgres(session)
    for chunk in _chunks(ticket_ids):
        statement = (
            select(TicketPause.ticket_id, TicketPause.started_at, TicketPause.ended_at)
            .where(_among(col(TicketPause.ticket_id), chunk, postgres))
            .order_by(col(TicketPause.ticket_id), col(TicketPause.id))
        )
        for ticket_id, started, ended in session.execute(statement):
            found[ticket_id].append((started, ended))
    return found


LEASED_COLUMNS = ("id", "ticket_id", "recipient", "level", "text", "attempts")


def record_batch(
    session: Session,
    *,
    rows: Sequence[dict[str, Any]],
    marks: Sequence[dict[str, Any]],
    now: datetime,
) -> list[Any]:
    """Write a planned batch: its new notifications and its tickets' sweep marks.

    `rows` are notifications (new keys only are written: a key that exists is skipped);
    `marks` are {"b_id", "b_swept", "b_alert"}: how far each ticket was swept and when it
    next needs the sweep; every marked ticket was claimed as due at `now`. Returns the
    rows written, with LEASED_COLUMNS.
    """
    if _is_postgres(session):
        written = _record_batch_pg(session, rows, marks, now)
    else:
        written = _add_notifications_sqlite(session, rows)
        _set_sweep_marks_sqlite(session, marks)
    session.flush()
    return written


def _add_notifications_sqlite(session: Session, rows: Sequence[dict[str, Any]]) -> list[Any]:
    if not rows:
        return []
    table = SlaNotification.__table__  # type: ignore[attr-defined]
    # Core executemany: SQLAlchemy batches it into multi-row INSERTs with RETURNING
    # without compiling one giant statement per call.
    statement = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["ticket_id", "target", "level", "cycle"])
        .returning(*(table.c[name] for name in LEASED_COLUMNS))
    )
    return list(session.connection().execute(statement, list(rows)).all())


def _set_sweep_marks_sqlite(session: Session, marks: Sequence[dict[str, Any]]) -> None:
    if not marks:
        return
    table = SlaSchedule.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.ticket_id == bindparam("b_id"))
        .values(
            swept_until=bindparam("b_swept", type_=UTCDateTime()),
            alert_at=bindparam("b_alert", type_=UTCDateTime()),
        )
    )
    session.connection().execute(statement, list(marks))


NOTIFICATION_ARRAYS = {
    "ticket_id": "integer",
    "target": "text",
    "level": "text",
    "cycle": "text",
    "recipient": "text",
    "text": "text",
    "status": "text",
    "attempts": "integer",
    "next_attempt_at": "timestamp",
    "created_at": "timestamp",
}
MARK_ARRAYS = {"b_id": "integer", "b_swept": "timestamp", "b_alert": "timestamp"}

# One round trip per batch: the insert and the schedule update are data-modifying CTEs of
# one statement (both always run to completion). Each column is one array parameter sent
# in binary (`%(name)b`): psycopg's text array format escapes every string with a regex,
# which cost ~50 ms of client CPU per 5,000 rows. `alert_at <= now` holds for every
# claimed (still locked) row; saying so lets the join read the due rows through
# ix_sla_schedule_alert_at instead of hashing the whole schedule table.
RECORD_BATCH_PG = (
    "WITH marked AS ("
    " UPDATE sla_schedule SET swept_until = marks.swept, alert_at = marks.alert"
    " FROM unnest(%(b_id)b::integer[], %(b_swept)b::timestamp[], %(b_alert)b::timestamp[])"
    " AS marks(id, swept, alert)"
    " WHERE sla_schedule.ticket_id = marks.id AND sla_schedule.alert_at <= %(now)b)"
    f" INSERT INTO sla_notification ({', '.join(NOTIFICATION_ARRAYS)})"
    " SELECT * FROM unnest("
    + ", ".join(f"%({name})b::{kind}[]" for name, kind in NOTIFICATION_ARRAYS.items())
    + ") ON CONFLICT (ticket_id, target, level, cycle) DO NOTHING"
    f" RETURNING {', '.join(LEASED_COLUMNS)}"
)


def _record_batch_pg(
    session: Session,
    rows: Sequence[dict[str, Any]],
    marks: Sequence[dict[str, Any]],
    now: datetime,
) -> list[Any]:
    params = {
        "now": _naive(now),
        **_arrays(rows, NOTIFICATION_ARRAYS),
        **_arrays(marks, MARK_ARRAYS),
    }
    return list(session.connection().exec_driver_sql(RECORD_BATCH_PG, params).all())


def _arrays(records: Sequence[dict[str, Any]], kinds: dict[str, str]) -> dict[str, list[Any]]:
    """One list per column; timestamps as naive UTC, each distinct moment converted once."""
    arrays: dict[str, list[Any]] = {}
    for name, kind in kinds.items():
        values = [record[name] for record in records]
        if kind == "timestamp":
            # A batch shares a few moments (now, the lease): converting each of 5,000
            # values one by one was ~35 ms of client CPU per batch.
            naive = {moment: _naive(moment) for moment in set(values)}
            values = [naive[moment] for moment in values]
        arrays[name] = values
    return arrays


def _naive(moment: datetime | None) -> datetime | None:
    """Naive UTC, as the UTC columns store it (arrays bypass the column type)."""
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _among(column: Any, ids: list[int], postgres: bool) -> Any:
    """`column IN ids`; one array parameter on PostgreSQL instead of thousands."""
    if postgres:
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _chunks(ids: Sequence[int], size: int = 5000) -> list[list[int]]:
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def claim_notifications(
    session: Session, *, now: datetime, lease_until: datetime, limit: int = 10_000
) -> list[Any]:
    """Take pending notifications that are due, leasing them until `lease_until`.

    One `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`: replicas
    never take the same row. A sweeper that crashes after sending but before marking
    leaves the lease to expire, so a notification is sent again at most once per crash.
    Returns rows with id, recipient, level, text and attempts.
    """
    due = (
        select(col(SlaNotification.id))
        # The literal predicate (not a bound 'pending') is what lets the planner prove the
        # partial index ix_sla_notification_due applies, also in cached generic plans.
        .where(text(PENDING), col(SlaNotification.next_attempt_at) <= now)
        .order_by(col(SlaNotification.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(SlaNotification)
        .where(col(SlaNotification.id).in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until)
        .returning(
            col(SlaNotification.id),
            col(SlaNotification.ticket_id),
            col(SlaNotification.recipient),
            col(SlaNotification.level),
            col(SlaNotification.text),
            col(SlaNotification.attempts),
        )
        .execution_options(synchronize_session=False)
    )
    claimed = sorted(session.execute(statement).all(), key=lambda row: row.id)
    session.flush()
    return claimed


def tickets_by_id(session: Session, *, ticket_ids: Sequence[int]) -> list[Ticket]:
    """The tickets with these ids, in id order."""
    if not ticket_ids:
        return []
    statement = select(Ticket).where(col(Ticket.id).in_(list(ticket_ids))).order_by(col(Ticket.id))
    return list(session.exec(statement))


def late_targets(session: Session, *, ticket_id: int) -> list[tuple[str, datetime, datetime]]:
    """(target, due, met) of each of the ticket's targets met after its due time, oldest first."""
    statement = (
        select(col(SlaTarget.target), col(SlaTarget.due_at), col(SlaTarget.met_at))
        .where(
            col(SlaTarget.ticket_id) == ticket_id,
            col(SlaTarget.met_at).is_not(None),
            col(SlaTarget.met_at) > col(SlaTarget.due_at),
        )
        .order_by(col(SlaTarget.due_at))
    )
    return [(target, due, met) for target, due, met in session.execute(statement)]


def mark_sent(session: Session, *, ids: list[int], at: datetime) -> None:
    """Record that notifications were delivered."""
    for chunk in _chunks(ids):
        session.execute(
            update(SlaNotification)
            .where(_among(col(SlaNotification.id), chunk, _is_postgres(session)))
            .values(status="sent", sent_at=at)
            .execution_options(synchronize_session=False)
        )
    session.flush()


def mark_dropped(session: Session, *, ids: list[int], at: datetime) -> None:
    """Record notifications that must not be sent (the leak guard refused the target)."""
    for chunk in _chunks(ids):
        session.execute(
            update(SlaNotification)
            .where(_among(col(SlaNotification.id), chunk, _is_postgres(session)))
            .values(status="dropped", sent_at=at)
            .execution_options(synchronize_session=False)
        )
    session.flush()


def mark_failed(session: Session, *, ids: list[int], retry_at: datetime) -> None:
    """Count a failed attempt and schedule the next one."""
    for chunk in _chunks(ids):
        session.execute(
            update(SlaNotification)
            .where(_among(col(SlaNotification.id), chunk, _is_postgres(session)))
            .values(attempts=SlaNotification.attempts + 1, next_attempt_at=retry_at)
            .execution_options(synchronize_session=False)
        )
    session.flush()


def notifications(session: Session) -> list[SlaNotification]:
    """Every notification, oldest first (for tests and inspection)."""
    return list(session.exec(select(SlaNotification).order_by(col(SlaNotification.id))))
