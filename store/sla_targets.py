"""Query functions for `sla_target` (one row per SLA clock of a ticket) and breach counts.

A target is breached when `met_at > due_at`, or `met_at` is null and `due_at < now`; a
breach is counted on the day its `due_at` falls in, in the business-hours time zone.
Local days are turned into UTC boundaries here (exact across DST changes), so the counts
are one SQL aggregate on SQLite and PostgreSQL alike.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import Activity, SlaTarget

TARGETS = ("first_response", "next_response", "resolution")


# Read on every change to a ticket: built once, run with parameters.
_UNMET = select(SlaTarget).where(
    col(SlaTarget.ticket_id) == bindparam("ticket_id"), col(SlaTarget.met_at).is_(None)
)


def unmet_targets(session: Session, *, ticket_id: int) -> list[SlaTarget]:
    """The ticket's clocks that are not met yet."""
    return list(session.scalars(_UNMET, {"ticket_id": ticket_id}))


def upsert_target(
    session: Session,
    *,
    ticket_id: int,
    target: str,
    cycle: str,
    policy: str,
    business_hours: bool,
    due_at: datetime,
    met_at: datetime | None = None,
    restart: bool = False,
) -> None:
    """Insert a clock, or move its due time (and stop it); a met clock is changed only to
    `restart` it (a first response owed again after a reopening)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "policy": policy,
        "business_hours": business_hours,
        "due_at": due_at,
        "met_at": met_at,
    }
    statement = insert(SlaTarget).values(ticket_id=ticket_id, target=target, cycle=cycle, **values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["ticket_id", "target", "cycle"],
            set_=values,
            where=None if restart else col(SlaTarget.met_at).is_(None),
        )
    )
    session.flush()


def meet_target(session: Session, *, target_id: int, met_at: datetime) -> None:
    """Record when a clock stopped because its target was met."""
    session.execute(
        update(SlaTarget)
        .where(col(SlaTarget.id) == target_id, col(SlaTarget.met_at).is_(None))
        .values(met_at=met_at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def unmeet_target(session: Session, *, ticket_id: int, target: str, cycle: str = "0") -> None:
    """Take back a clock's `met_at` (what met it is gone): the planner judges it again."""
    session.execute(
        update(SlaTarget)
        .where(
            col(SlaTarget.ticket_id) == ticket_id,
            col(SlaTarget.target) == target,
            col(SlaTarget.cycle) == cycle,
        )
        .values(met_at=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def drop_unmet(session: Session, *, ticket_id: int, target: str, cycle: str) -> None:
    """Forget an unmet clock by its key (a merged ticket's clock that had not come due)."""
    session.execute(
        delete(SlaTarget).where(
            col(SlaTarget.ticket_id) == ticket_id,
            col(SlaTarget.target) == target,
            col(SlaTarget.cycle) == cycle,
            col(SlaTarget.met_at).is_(None),
        )
    )
    session.flush()


def drop_target(session: Session, *, target_id: int) -> None:
    """Forget an unmet clock that no longer has a due time (paused, or no longer a target)."""
    session.execute(
        delete(SlaTarget).where(col(SlaTarget.id) == target_id, col(SlaTarget.met_at).is_(None))
    )
    session.flush()


def targets_of(session: Session, *, ticket_id: int) -> list[SlaTarget]:
    """Every clock of a ticket, oldest first."""
    statement = select(SlaTarget).where(SlaTarget.ticket_id == ticket_id)
    return list(session.exec(statement.order_by(col(SlaTarget.id))))


def breached(now: datetime) -> Any:
    """The SQL condition of a breach at `now`."""
    met, due = col(SlaTarget.met_at), col(SlaTarget.due_at)
    return or_(and_(met.is_not(None), met > due), and_(met.is_(None), due < now))


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and ends (23 or 25 hours around DST)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start, end


def breaches_per_day(
    session: Session,
    *,
    target: str,
    first_day: date,
    last_day: date,
    timezone: str,
    now: datetime,
    policies: Sequence[str] | None = None,
) -> dict[date, int]:
    """Breaches of one target per local day whose due time falls in it (every day listed)."""
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    if not days:
        return {}
    bounds = [day_bounds(day, timezone) for day in days]
    due = col(SlaTarget.due_at)
    bucket = case(
        *[(and_(due >= start, due < end), index) for index, (start, end) in enumerate(bounds)],
        else_=None,
    )
    conditions = [
        col(SlaTarget.target) == target,
        due >= bounds[0][0],
        due < bounds[-1][1],
        breached(now),
    ]
    if policies is not None:
        conditions.append(col(SlaTarget.policy).in_(list(policies)))
    statement = select(bucket, func.count()).where(*conditions).group_by(bucket)
    counts = {days[int(index)]: int(count) for index, count in session.exec(statement)}
    return {day: counts.get(day, 0) for day in days}


def met_in_window(
    session: Session, *, target: str, start: datetime, end: datetime
) -> tuple[int, int]:
    """(inside, outside) the target for clocks met in [start, end)."""
    met, due = col(SlaTarget.met_at), col(SlaTarget.due_at)
    late = case((met > due, 1), else_=0)
    statement = select(func.count(), func.coalesce(func.sum(late), 0)).where(
        col(SlaTarget.target) == target, met >= start, met < end
    )
    total, outside = session.exec(statement).one()
    return int(total) - int(outside), int(outside)


def last_reopened_at(session: Session, *, ticket_id: int) -> datetime | None:
    """When the ticket was last reopened (from the audit trail)."""
    statement = select(func.max(Activity.at)).where(
        Activity.ticket_id == ticket_id, Activity.action == "reopened"
    )
    return session.exec(statement).one()
