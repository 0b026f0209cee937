"""SLA: targets due in a range, met in time or breached, and breaches per local day.

A target is breached when it was met after its due time, or is still unmet and its due
time has passed. A breach counts on the local day its due time falls in.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.kpi.scope import TEAM, Scope
from store.kpi.sqlfn import in_range, local_day
from store.models import SlaTarget, Ticket

TARGETS = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class TargetCounts:
    """How one kind of target did over a range."""

    due: int = 0
    met_in_time: int = 0
    breached: int = 0

    @property
    def within(self) -> float | None:
        """Share met in time of the targets due (None when nothing was due)."""
        return self.met_in_time / self.due if self.due else None


def breached(now: datetime) -> ColumnElement[bool]:
    """The breach condition, as of `now`."""
    met_at, due_at = col(SlaTarget.met_at), col(SlaTarget.due_at)
    return or_(met_at > due_at, and_(met_at.is_(None), due_at < now))


def _met_in_time() -> ColumnElement[bool]:
    return and_(col(SlaTarget.met_at).is_not(None), col(SlaTarget.met_at) <= col(SlaTarget.due_at))


def targets(
    session: Session, *, start: datetime, end: datetime, now: datetime, scope: Scope = TEAM
) -> dict[tuple[Any, str], TargetCounts]:
    """(group, target) -> due, met in time and breached, for targets due in the range."""
    statement = select(
        scope.group().label("g"),
        col(SlaTarget.target),
        func.count(),
        func.sum(case((_met_in_time(), 1), else_=0)),
        func.sum(case((breached(now), 1), else_=0)),
    ).where(in_range(col(SlaTarget.due_at), start, end))
    if scope != TEAM:  # the whole team needs no ticket columns
        statement = scope.apply(statement.join(Ticket, col(Ticket.id) == col(SlaTarget.ticket_id)))
    statement = scope.group_by(statement, col(SlaTarget.target))
    return {
        (group, target): TargetCounts(int(due), int(met or 0), int(late or 0))
        for group, target, due, met, late in session.execute(statement)
    }


def breaches_by_day(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    timezone: str,
    scope: Scope = TEAM,
) -> dict[tuple[str, str], int]:
    """(local day, target) -> breaches due that day."""
    day = local_day(session, col(SlaTarget.due_at), timezone=timezone, start=start, end=end)
    statement = select(day, col(SlaTarget.target), func.count()).where(
        in_range(col(SlaTarget.due_at), start, end), breached(now)
    )
    if scope.agent_id is not None or scope.dimension is not None:
        statement = scope.apply(statement.join(Ticket, col(Ticket.id) == col(SlaTarget.ticket_id)))
    statement = statement.group_by(day, col(SlaTarget.target))
    return {(str(d), target): int(n) for d, target, n in session.execute(statement)}


def breaching_tickets(
    session: Session, *, now: datetime, since: datetime, limit: int = 25
) -> list[tuple[Ticket, str, datetime]]:
    """Live (unresolved) tickets with a target past due and unmet: (ticket, target, due)."""
    statement = (
        select(Ticket, col(SlaTarget.target), col(SlaTarget.due_at))
        .join(SlaTarget, col(SlaTarget.ticket_id) == col(Ticket.id))
        .where(
            col(SlaTarget.met_at).is_(None),
            col(SlaTarget.due_at) < now,
            col(SlaTarget.due_at) >= since,
            col(Ticket.status).in_(["new", "open", "pending"]),
        )
        .order_by(col(SlaTarget.due_at))
        .limit(limit)
    )
    return [(ticket, target, due) for ticket, target, due in session.execute(statement)]
