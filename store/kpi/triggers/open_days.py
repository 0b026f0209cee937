"""The team's opening hours stored for SQL (kpi_open_day), and recomputing facts with them.

Business-hours first response and handle times are kept in `ticket_fact`
(`frt_business_seconds`, `handle_business_seconds`),
counted with the calendar in `kpi_open_day`. The KPI service compares the configured
calendar's fingerprint (and the span of days needed) with `kpi_calendar` before it
answers; on a change, `replace_open_days` rewrites the days and recomputes the column.
"""

from datetime import datetime

from sqlalchemy import delete, func, text, update
from sqlmodel import Session, col, select

from store.db import lock_until_commit
from store.fact_models import KpiCalendar, KpiOpenDay, TicketFact
from store.kpi.sqlfn import dialect
from store.kpi.triggers import group_rollup, rollup
from store.kpi.triggers.durations import business_clock, business_seconds, handle_seconds
from store.models import Ticket

OpenDay = tuple[datetime, int, int, int]  # local midnight (UTC), opens, length, before


def calendar_state(session: Session) -> KpiCalendar | None:
    """The calendar kpi_open_day holds now (None: none yet)."""
    return session.get(KpiCalendar, 1)


def earliest_created(session: Session) -> datetime | None:
    """When the oldest ticket was created."""
    return session.execute(select(func.min(TicketFact.created_at))).scalar_one_or_none()


def is_current(
    state: KpiCalendar | None, *, fingerprint: str, first: datetime, last: datetime
) -> bool:
    """Whether the stored calendar is this one and covers [first, last]."""
    return (
        state is not None
        and state.fingerprint == fingerprint
        and state.first_day <= first
        and state.last_day >= last
    )


def extend_open_days(
    session: Session, *, fingerprint: str, days: list[OpenDay], last: datetime
) -> bool:
    """Add the days after the stored ones of the same calendar (`days` start on its first
    day, so the open seconds before each carry on); no fact changes. False: the stored
    calendar is another one now (a replica replaced it meanwhile), so it must be replaced."""
    lock_until_commit(session, key="kpi-calendar")
    session.expire_all()  # after the lock: another replica may have extended them first
    state = calendar_state(session)
    if state is None or state.fingerprint != fingerprint or state.first_day != days[0][0]:
        return False
    if state.last_day >= last:
        return True
    session.add_all(
        KpiOpenDay(day_start=start, opens=opens, length=length, before=before)
        for start, opens, length, before in days
        if start > state.last_day
    )
    state.last_day = days[-1][0]
    session.flush()
    return True


def replace_open_days(
    session: Session, *, fingerprint: str, days: list[OpenDay], first: datetime, last: datetime
) -> int:
    """Store a calendar's days and recompute every business-hours duration (first
    response, handle time).

    Serialised across replicas; a no-op when another one stored the same calendar first.
    Returns the number of facts recomputed.
    """
    lock_until_commit(session, key="kpi-calendar")
    session.expire_all()  # after the lock: what another replica may have stored meanwhile
    state = calendar_state(session)
    if is_current(state, fingerprint=fingerprint, first=first, last=last):
        return 0
    if dialect(session) == "postgresql":
        # Every fact refresh first locks its ticket's row (ROW SHARE on ticket), which this
        # mode excludes: no refresh can run meanwhile with the old calendar, and the ones
        # before have committed, so their pending deltas are in ticket_fact already.
        session.execute(text("LOCK TABLE ticket IN EXCLUSIVE MODE"))
    session.execute(delete(KpiOpenDay))
    session.add_all(
        KpiOpenDay(day_start=start, opens=opens, length=length, before=before)
        for start, opens, length, before in days
    )
    if state is None:
        state = KpiCalendar(
            id=1, fingerprint=fingerprint, first_day=days[0][0], last_day=days[-1][0]
        )
        session.add(state)
    else:
        state.fingerprint, state.first_day, state.last_day = fingerprint, days[0][0], days[-1][0]
    session.flush()
    seconds = business_seconds(
        dialect(session), col(TicketFact.created_at), col(TicketFact.first_response_at), TicketFact
    )
    result = session.execute(
        update(TicketFact)
        .where(col(TicketFact.first_response_at).is_not(None))
        .values(frt_business_seconds=seconds)
    )
    handled = (
        select(handle_seconds(dialect(session), business_clock))
        .where(col(Ticket.id) == col(TicketFact.ticket_id))
        .scalar_subquery()
    )
    session.execute(
        update(TicketFact)
        .where(col(TicketFact.handle_seconds).is_not(None))
        .values(handle_business_seconds=handled)
    )
    rollup.rebuild(session.connection(), metric="frt_business")
    rollup.rebuild(session.connection(), metric="handle_business")
    group_rollup.rebuild_business(session.connection())
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
