"""The per-ticket rows behind every KPI, for CSV exports (one query, aggregates in SQL).

People, channels and organizations are ids here; the export puts names beside them.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from store.kpi.queries.sla import breached
from store.kpi.queries.timing import CLAIM_ACTIONS
from store.kpi.sqlfn import dialect, in_range, seconds_between
from store.models import (
    Activity,
    AuthorRole,
    CsatSurvey,
    Message,
    SlaTarget,
    Suggestion,
    Ticket,
    TicketLink,
    TicketTag,
)

COLUMNS = [
    "number", "created_at", "subject", "channel", "org", "priority", "status", "assignee",
    "first_response_at", "first_responder", "frt_seconds", "claimed_at", "resolved_at",
    "resolution_seconds", "reopen_count", "customer_messages", "agent_messages", "types",
    "links", "sla_targets_due", "sla_breaches", "csat_rating", "csat_comment", "suggestion",
    "solved_by_article",
]  # fmt: skip


def _joined(session: Session, column: Any) -> Any:
    if dialect(session) == "postgresql":
        return func.string_agg(column, ",")
    return func.group_concat(column, ",")


def ticket_rows(
    session: Session, *, start: datetime, end: datetime, now: datetime
) -> Iterator[list[Any]]:
    """One row per ticket created in the range, in ticket order (streamed)."""
    ticket_id = col(Ticket.id)

    def messages(role: AuthorRole) -> Any:
        return (
            select(func.count())
            .where(
                col(Message.ticket_id) == ticket_id,
                col(Message.role) == str(role),
                col(Message.deleted_at).is_(None),
            )
            .scalar_subquery()
        )

    tags = select(_joined(session, TicketTag.tag)).where(col(TicketTag.ticket_id) == ticket_id)
    links = select(_joined(session, TicketLink.ref)).where(col(TicketLink.ticket_id) == ticket_id)
    claimed = select(func.min(Activity.at)).where(
        col(Activity.ticket_id) == ticket_id, col(Activity.action).in_(CLAIM_ACTIONS)
    )
    targets = select(func.count()).where(
        col(SlaTarget.ticket_id) == ticket_id, col(SlaTarget.due_at) < now
    )
    breaches = select(func.sum(case((breached(now), 1), else_=0))).where(
        col(SlaTarget.ticket_id) == ticket_id
    )
    statement = (
        select(
            col(Ticket.number),
            col(Ticket.created_at),
            col(Ticket.subject),
            col(Ticket.channel_id),
            col(Ticket.customer_team_id),
            col(Ticket.priority),
            col(Ticket.status),
            col(Ticket.assignee_id),
            col(Ticket.first_response_at),
            col(Ticket.first_responder_id),
            seconds_between(col(Ticket.created_at), col(Ticket.first_response_at)),
            claimed.scalar_subquery(),
            col(Ticket.resolved_at),
            seconds_between(col(Ticket.created_at), col(Ticket.resolved_at)),
            col(Ticket.reopen_count),
            messages(AuthorRole.CUSTOMER),
            messages(AuthorRole.AGENT),
            tags.scalar_subquery(),
            links.scalar_subquery(),
            targets.scalar_subquery(),
            func.coalesce(breaches.scalar_subquery(), 0),
            col(CsatSurvey.rating),
            col(CsatSurvey.comment),
            col(Suggestion.outcome),
            col(Suggestion.solved_article_id),
        )
        .outerjoin(CsatSurvey, col(CsatSurvey.ticket_id) == ticket_id)
        .outerjoin(Suggestion, col(Suggestion.ticket_id) == ticket_id)
        .where(in_range(col(Ticket.created_at), start, end))
        .order_by(col(Ticket.created_at), col(Ticket.number))
        .execution_options(yield_per=2000)
    )
    for row in session.execute(statement):
        yield list(row)
