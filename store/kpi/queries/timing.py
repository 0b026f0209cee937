"""Durations: first response, resolution and handle time; reopen and one-touch counts.

All read `ticket_fact` (one narrow row per ticket, durations precomputed).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal_column
from sqlmodel import Session, col, select

from store.fact_models import TicketFact as Ticket
from store.kpi.queries import rolled, volume
from store.kpi.queries.scope import TEAM, Scope
from store.kpi.sqlfn import (
    Dist,
    distribution,
    epoch,
    in_range,
)
from store.kpi.triggers.durations import CLAIM_ACTIONS, RESOLVE_ACTIONS
from store.kpi.triggers.rollup import COUNTS
from store.models import Activity

__all__ = ["CLAIM_ACTIONS", "RESOLVE_ACTIONS", "ResolutionCounts"]


@dataclass(frozen=True)
class ResolutionCounts:
    """Of the tickets resolved in a range: how many, reopened, one-touch, self-served."""

    resolved: int = 0
    reopened: int = 0
    one_touch: int = 0
    self_served: int = 0


def frt(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Dist]:
    """Calendar first response time of tickets created in the range, per group."""
    if scope == TEAM:
        return rolled.distribution(session, metric="frt", start=start, end=end)
    statement = select(
        scope.group(responder=True).label("g"),
        col(Ticket.frt_seconds).label("v"),
    ).where(
        in_range(col(Ticket.created_at), start, end), col(Ticket.first_response_at).is_not(None)
    )
    return distribution(session, source=scope.apply(statement, responder=True).subquery())


def frt_pairs(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> list[tuple[Any, int, int]]:
    """(group, created, first response) in epoch seconds, for answered tickets created in the range.

    Business-hours time needs the calendar, so this is the smallest fetch that allows it.
    """
    statement = select(
        scope.group(responder=True),
        epoch(col(Ticket.created_at)),
        epoch(col(Ticket.first_response_at)),
    ).where(
        in_range(col(Ticket.created_at), start, end), col(Ticket.first_response_at).is_not(None)
    )
    return [tuple(row) for row in session.execute(scope.apply(statement, responder=True))]


def unanswered(session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM) -> int:
    """Tickets created in the range that no agent has answered (yet)."""
    if scope == TEAM:
        return rolled.counts(session, metrics=("unanswered",), start=start, end=end)["unanswered"]
    statement = select(func.count()).where(
        in_range(col(Ticket.created_at), start, end), _counted("unanswered")
    )
    return int(session.execute(scope.apply(statement)).scalar_one())


def _counted(metric: str) -> Any:
    """The condition of a count metric, as defined once in rollup.COUNTS."""
    return literal_column(COUNTS[metric][1].format(r="ticket_fact"))


def resolution(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Dist]:
    """Creation to (latest) resolution of tickets resolved in the range, per group."""
    if scope == TEAM:
        return rolled.distribution(session, metric="resolution", start=start, end=end)
    statement = select(
        scope.group().label("g"),
        col(Ticket.resolution_seconds).label("v"),
    ).where(in_range(col(Ticket.resolved_at), start, end))
    return distribution(session, source=scope.apply(statement).subquery())


def handle(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Dist]:
    """Claim to resolution, minus waiting on the customer and time spent resolved.

    For tickets resolved in the range that an agent claimed (or was assigned) first; the
    per-ticket seconds are kept in ticket_fact (store/kpi/triggers/facts.py).
    """
    if scope == TEAM:
        return rolled.distribution(session, metric="handle", start=start, end=end)
    statement = select(scope.group().label("g"), col(Ticket.handle_seconds).label("v")).where(
        in_range(col(Ticket.resolved_at), start, end), col(Ticket.handle_seconds).is_not(None)
    )
    return distribution(session, source=scope.apply(statement).subquery())


def handle_business(session: Session, *, start: datetime, end: datetime) -> dict[Any, Dist]:
    """Handle time counted in the opening hours of the stored calendar (team-wide)."""
    return rolled.distribution(session, metric="handle_business", start=start, end=end)


def resolution_counts(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> ResolutionCounts:
    """Tickets resolved in the range: reopened ones, one-touch ones, self-served ones."""
    if scope == TEAM:
        found = rolled.counts(
            session, metrics=("reopened", "one_touch", "self_served"), start=start, end=end
        )
        resolved = volume.count_resolved(session, start=start, end=end)
        return ResolutionCounts(resolved, *found.values())
    statement = select(
        func.count(),
        *(
            func.sum(case((_counted(metric), 1), else_=0))
            for metric in ("reopened", "one_touch", "self_served")
        ),
    ).where(in_range(col(Ticket.resolved_at), start, end))
    row = session.execute(scope.apply(statement)).one()
    return ResolutionCounts(*(int(value or 0) for value in row))


def reopens(session: Session, *, start: datetime, end: datetime) -> int:
    """Reopenings that happened in the range."""
    statement = select(func.count()).where(
        col(Activity.action) == "reopened", in_range(col(Activity.at), start, end)
    )
    return int(session.execute(statement).scalar_one())


def frt_business(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Dist]:
    """Business-hours first response time per group (counted with kpi_open_day's calendar)."""
    if scope == TEAM:
        return rolled.distribution(session, metric="frt_business", start=start, end=end)
    statement = select(
        scope.group(responder=True).label("g"), col(Ticket.frt_business_seconds).label("v")
    ).where(
        in_range(col(Ticket.created_at), start, end), col(Ticket.first_response_at).is_not(None)
    )
    return distribution(session, source=scope.apply(statement, responder=True).subquery())
