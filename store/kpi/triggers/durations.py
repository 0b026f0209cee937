"""The per-ticket durations `ticket_fact` stores, as SQL: open (business) seconds from the
stored calendar, and handle time counted by a clock (calendar or business hours).

`facts.fact_select` and `open_days` build on these; the triggers compile them per dialect.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, case, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from store.fact_models import KpiOpenDay
from store.kpi.sqlfn import epoch
from store.models import Activity, Ticket, TicketPause

RESOLVE_ACTIONS = ("resolved", "self_served", "closed")
CLAIM_ACTIONS = ("claimed", "assigned")


def greatest(name: str, *values: Any) -> Any:
    """SQL GREATEST (SQLite: the scalar max)."""
    return func.max(*values) if name == "sqlite" else func.greatest(*values)


def least(name: str, *values: Any) -> Any:
    """SQL LEAST (SQLite: the scalar min)."""
    return func.min(*values) if name == "sqlite" else func.least(*values)


def open_seconds_before(name: str, moment: Any, *outer: Any) -> Any:
    """SQL: open seconds of the stored calendar before `moment` (NULL outside its span);
    `outer`: the enclosing tables `moment` reads."""
    day = KpiOpenDay
    into_day = greatest(name, literal(0), epoch(moment) - col(day.opens))
    return (
        select(col(day.before) + least(name, into_day, col(day.length)))
        .where(col(day.day_start) <= moment)
        .order_by(col(day.day_start).desc())
        .limit(1)
        .correlate(*outer)
        .scalar_subquery()
    )


# How a handle time counts seconds: (dialect, moment, the tables the moment reads) -> SQL
# seconds since a fixed origin; their differences are durations.
SecondsAt = Callable[[str, Any, tuple[Any, ...]], Any]


def calendar_clock(name: str, moment: Any, outer: tuple[Any, ...]) -> Any:
    """Every second counts: epoch seconds."""
    return epoch(moment)


def business_clock(name: str, moment: Any, outer: tuple[Any, ...]) -> Any:
    """Only the opening hours of the stored calendar (kpi_open_day) count."""
    return open_seconds_before(name, moment, *outer)


def first_claim() -> Any:
    """SQL: the ticket's first claim or assignment (correlated to `Ticket`)."""
    return (
        select(func.min(Activity.at))
        .where(col(Activity.ticket_id) == col(Ticket.id), col(Activity.action).in_(CLAIM_ACTIONS))
        .correlate(Ticket)
        .scalar_subquery()
    )


def handle_seconds(name: str, clock: SecondsAt) -> Any:
    """SQL (correlated to `Ticket`): first claim to resolution, minus the time waiting on
    the customer (pending) and the time spent resolved before a reopening, counted by
    `clock`; NULL when no agent claimed it before its resolution."""
    ticket, resolved, claimed = col(Ticket.id), col(Ticket.resolved_at), first_claim()
    pause_end = least(name, func.coalesce(TicketPause.ended_at, resolved), resolved)
    pause_start = greatest(name, TicketPause.started_at, claimed)
    pauses = (Ticket, TicketPause)
    overlap = clock(name, pause_end, pauses) - clock(name, pause_start, pauses)
    paused = (
        select(func.sum(greatest(name, literal(0), overlap)))
        .where(col(TicketPause.ticket_id) == ticket, col(TicketPause.started_at) < resolved)
        .correlate(Ticket)
    )
    reopen, earlier = aliased(Activity), aliased(Activity)
    last_resolve = (
        select(func.max(earlier.at))
        .where(
            earlier.ticket_id == reopen.ticket_id,
            col(earlier.action).in_(RESOLVE_ACTIONS),
            earlier.at <= reopen.at,
        )
        .correlate(reopen)  # also when nested in a clock's subquery
        .scalar_subquery()
    )
    reopens = (Ticket, reopen)
    gap = clock(name, reopen.at, reopens) - clock(
        name, greatest(name, last_resolve, claimed), reopens
    )
    gaps = (
        select(func.sum(gap))
        .where(
            reopen.ticket_id == ticket,
            reopen.action == "reopened",
            reopen.at > claimed,
            reopen.at <= resolved,
        )
        .correlate(Ticket)
    )
    return case(
        (resolved.is_(None), None),  # most refreshes: nothing to look up
        (
            and_(claimed.is_not(None), claimed <= resolved),
            clock(name, resolved, (Ticket,))
            - clock(name, claimed, (Ticket,))
            - func.coalesce(paused.scalar_subquery(), 0)
            - func.coalesce(gaps.scalar_subquery(), 0),
        ),
        else_=None,
    )


def business_seconds(name: str, created: Any, answered: Any, outer: Any) -> Any:
    """SQL: open seconds from creation to first response (never negative)."""
    elapsed = open_seconds_before(name, answered, outer) - open_seconds_before(name, created, outer)
    return case((answered.is_not(None), greatest(name, literal(0), elapsed)), else_=None)
