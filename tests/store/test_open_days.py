"""bot.kpi.business.ensure_open_days: the team's calendar stored for SQL, and kept ahead of
today by adding days, not by recomputing every business-hours duration."""

from datetime import time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from bot.business_time import BusinessCalendar
from bot.kpi.business import AHEAD, MARGIN, ensure_open_days
from store.fact_models import KpiCalendar, KpiOpenDay, TicketFact
from tests.support import kpi_dataset

CALENDAR = BusinessCalendar(
    timezone="Europe/Berlin", days=["mon", "tue", "wed", "thu", "fri"], start=time(9), end=time(17)
)


def stored_days(session: Session) -> list[tuple]:
    rows = session.exec(select(KpiOpenDay).order_by(KpiOpenDay.day_start)).all()
    return [(r.day_start, r.opens, r.length, r.before) for r in rows]


def test_days_running_out_are_added_without_recomputing_the_facts(db):
    kpi_dataset.load(db)
    now = kpi_dataset.NOW
    with Session(db) as session:
        assert ensure_open_days(session, CALENDAR, now) > 0  # a first store recomputes
        session.commit()
        before = stored_days(session)
    later = now + AHEAD - MARGIN + timedelta(days=3)  # fewer than MARGIN days left ahead
    with Session(db) as session:
        # A fact edited behind the calendar's back stays as it is: nothing is recomputed.
        first = session.exec(select(TicketFact).where(TicketFact.frt_business_seconds >= 0)).first()
        assert first is not None
        ticket_id, original = first.ticket_id, first.frt_business_seconds
        first.frt_business_seconds = 12345
        session.commit()
        assert ensure_open_days(session, CALENDAR, later) == 0
        session.commit()
        extended = stored_days(session)
        state = session.get(KpiCalendar, 1)
        assert state is not None
        last_day = state.last_day
        kept = session.get(TicketFact, ticket_id)
        assert kept is not None and kept.frt_business_seconds == 12345
        kept.frt_business_seconds = original  # as it was, for the db fixture's drift check
        session.commit()
    assert extended[: len(before)] == before and len(extended) > len(before)
    assert last_day == extended[-1][0] and last_day >= later + MARGIN
    # The added days are the ones a store from scratch would hold.
    with Session(db) as session:
        session.execute(KpiOpenDay.__table__.delete())  # type: ignore[attr-defined]
        session.execute(KpiCalendar.__table__.delete())  # type: ignore[attr-defined]
        ensure_open_days(session, CALENDAR, later)
        fresh = stored_days(session)
        session.rollback()
    assert fresh == extended


def test_another_calendar_is_stored_from_scratch(db):
    kpi_dataset.load(db)
    now = kpi_dataset.NOW
    with Session(db) as session:
        ensure_open_days(session, CALENDAR, now)
        session.commit()
        longer = BusinessCalendar(
            timezone="Europe/Berlin", days=["mon", "tue", "wed", "thu", "fri"],
            start=time(8), end=time(18),
        )  # fmt: skip
        assert ensure_open_days(session, longer, now) > 0
        session.commit()
        lengths = session.exec(select(func.max(KpiOpenDay.length))).one()
    assert lengths == 10 * 3600
