"""Durations: first response, resolution and handle time; reopen and one-touch counts."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.kpi.scope import TEAM, Scope
from store.kpi.sqlfn import (
    Dist,
    OpenHours,
    distribution,
    epoch,
    greatest,
    in_range,
    least,
    local_day,
    open_seconds_before,
    seconds_between,
)
from store.models import Activity, AuthorRole, Message, Suggestion, Ticket, TicketPause

RESOLVE_ACTIONS = ("resolved", "self_served", "closed")
CLAIM_ACTIONS = ("claimed", "assigned")


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
    statement = select(
        scope.group(responder=True).label("g"),
        seconds_between(col(Ticket.created_at), col(Ticket.first_response_at)).label("v"),
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
    statement = select(func.count()).where(
        in_range(col(Ticket.created_at), start, end), col(Ticket.first_response_at).is_(None)
    )
    return int(session.execute(scope.apply(statement)).scalar_one())


def resolution(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Dist]:
    """Creation to (latest) resolution of tickets resolved in the range, per group."""
    statement = select(
        scope.group().label("g"),
        seconds_between(col(Ticket.created_at), col(Ticket.resolved_at)).label("v"),
    ).where(in_range(col(Ticket.resolved_at), start, end))
    return distribution(session, source=scope.apply(statement).subquery())


def handle(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Dist]:
    """Claim to resolution, minus waiting on the customer and time spent resolved.

    For tickets resolved in the range that an agent claimed (or was assigned) first.
    """
    # One index lookup (ticket_id, action, at) per resolved ticket; the CTE is computed once.
    claimed = (
        select(func.min(Activity.at))
        .where(col(Activity.ticket_id) == col(Ticket.id), col(Activity.action).in_(CLAIM_ACTIONS))
        .scalar_subquery()
    )
    base = select(
        col(Ticket.id).label("id"),
        scope.group().label("g"),
        col(Ticket.resolved_at).label("resolved_at"),
        claimed.label("claimed_at"),
    ).where(in_range(col(Ticket.resolved_at), start, end))
    tickets = scope.apply(base).cte("resolved_tickets")
    resolved_at, claimed_at = tickets.c.resolved_at, tickets.c.claimed_at
    # Aggregated joins rather than per-ticket subqueries: one pass over pauses and reopens.
    pause_end = least(session, func.coalesce(TicketPause.ended_at, resolved_at), resolved_at)
    overlap = epoch(pause_end) - epoch(greatest(session, TicketPause.started_at, claimed_at))
    paused = (
        select(
            col(TicketPause.ticket_id).label("ticket_id"),
            func.sum(greatest(session, literal(0), overlap)).label("seconds"),
        )
        .join(tickets, tickets.c.id == col(TicketPause.ticket_id))
        .where(col(TicketPause.started_at) < resolved_at)
        .group_by(col(TicketPause.ticket_id))
        .subquery()
    )
    reopen, earlier = aliased(Activity), aliased(Activity)
    last_resolve = (
        select(func.max(earlier.at))
        .where(
            earlier.ticket_id == reopen.ticket_id,
            col(earlier.action).in_(RESOLVE_ACTIONS),
            earlier.at <= reopen.at,
        )
        .scalar_subquery()
    )
    gaps = (
        select(
            reopen.ticket_id.label("ticket_id"),
            func.sum(epoch(reopen.at) - epoch(greatest(session, last_resolve, claimed_at))).label(
                "seconds"
            ),
        )
        .join(tickets, tickets.c.id == reopen.ticket_id)
        .where(reopen.action == "reopened", reopen.at > claimed_at, reopen.at <= resolved_at)
        .group_by(reopen.ticket_id)
        .subquery()
    )
    value = (
        epoch(resolved_at)
        - epoch(claimed_at)
        - func.coalesce(paused.c.seconds, 0)
        - func.coalesce(gaps.c.seconds, 0)
    )
    source = (
        select(tickets.c.g.label("g"), value.label("v"))
        .outerjoin(paused, paused.c.ticket_id == tickets.c.id)
        .outerjoin(gaps, gaps.c.ticket_id == tickets.c.id)
        .where(claimed_at.is_not(None), claimed_at <= resolved_at)
        .subquery()
    )
    return distribution(session, source=source)


def resolution_counts(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> ResolutionCounts:
    """Tickets resolved in the range: reopened ones, one-touch ones, self-served ones."""
    resolved = in_range(col(Ticket.resolved_at), start, end)
    # Replies and suggestions are aggregated once per ticket and joined, not probed per row.
    replies = (
        select(col(Message.ticket_id).label("ticket_id"), func.count().label("n"))
        .join(Ticket, col(Ticket.id) == col(Message.ticket_id))
        .where(
            resolved,
            col(Message.role) == str(AuthorRole.AGENT),
            col(Message.deleted_at).is_(None),
        )
        .group_by(col(Message.ticket_id))
        .subquery()
    )
    solved = (
        select(col(Suggestion.ticket_id).label("ticket_id"))
        .where(col(Suggestion.outcome) == "solved")
        .subquery()
    )
    statement = (
        select(
            func.count(),
            func.sum(case((col(Ticket.reopen_count) > 0, 1), else_=0)),
            func.sum(case((replies.c.n == 1, 1), else_=0)),
            func.count(solved.c.ticket_id),
        )
        .select_from(Ticket)
        .outerjoin(replies, replies.c.ticket_id == col(Ticket.id))
        .outerjoin(solved, solved.c.ticket_id == col(Ticket.id))
        .where(resolved)
    )
    row = session.execute(scope.apply(statement)).one()
    return ResolutionCounts(*(int(value or 0) for value in row))


def reopens(session: Session, *, start: datetime, end: datetime) -> int:
    """Reopenings that happened in the range."""
    statement = select(func.count()).where(
        col(Activity.action) == "reopened", in_range(col(Activity.at), start, end)
    )
    return int(session.execute(statement).scalar_one())


def frt_by_day(
    session: Session, *, start: datetime, end: datetime, timezone: str
) -> dict[Any, Dist]:
    """Calendar first response time per local day of creation."""
    day = local_day(session, col(Ticket.created_at), timezone=timezone, start=start, end=end)
    statement = select(
        day.label("g"),
        seconds_between(col(Ticket.created_at), col(Ticket.first_response_at)).label("v"),
    ).where(
        in_range(col(Ticket.created_at), start, end), col(Ticket.first_response_at).is_not(None)
    )
    return distribution(session, source=statement.subquery())


def frt_open_hours(
    session: Session, *, start: datetime, end: datetime, hours: OpenHours, scope: Scope = TEAM
) -> dict[Any, Dist]:
    """Business-hours first response time per group, entirely in SQL (PostgreSQL)."""
    elapsed = open_seconds_before(session, col(Ticket.first_response_at), hours) - (
        open_seconds_before(session, col(Ticket.created_at), hours)
    )
    statement = select(
        scope.group(responder=True).label("g"), greatest(session, literal(0), elapsed).label("v")
    ).where(
        in_range(col(Ticket.created_at), start, end), col(Ticket.first_response_at).is_not(None)
    )
    return distribution(session, source=scope.apply(statement, responder=True).subquery())


def last_first_response(session: Session, *, start: datetime, end: datetime) -> datetime | None:
    """The latest first response of tickets created in the range."""
    statement = select(func.max(Ticket.first_response_at)).where(
        in_range(col(Ticket.created_at), start, end)
    )
    return session.execute(statement).scalar_one_or_none()
