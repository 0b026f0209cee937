"""Counts per group for breakdowns: tickets created, resolved, claimed."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.fact_models import TicketFact as Ticket
from store.kpi.queries.scope import TEAM, Scope
from store.kpi.sqlfn import in_range
from store.models import Activity


def created(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, int]:
    """Tickets created in the range, per group."""
    statement = select(scope.group(), func.count()).where(
        in_range(col(Ticket.created_at), start, end)
    )
    statement = scope.group_by(scope.apply(statement))
    return {group: int(count) for group, count in session.execute(statement)}


def resolved(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, int]:
    """Tickets resolved in the range, per group."""
    statement = select(scope.group(), func.count()).where(
        in_range(col(Ticket.resolved_at), start, end)
    )
    statement = scope.group_by(scope.apply(statement))
    return {group: int(count) for group, count in session.execute(statement)}


def claims(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Tickets each agent claimed in the range (claims, not assignments by others)."""
    statement = (
        select(col(Activity.actor_id), func.count(func.distinct(Activity.ticket_id)))
        .where(col(Activity.action) == "claimed", in_range(col(Activity.at), start, end))
        .group_by(col(Activity.actor_id))
    )
    return {actor: int(count) for actor, count in session.execute(statement) if actor}
