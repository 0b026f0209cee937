"""What customers say and do: CSAT answers, self-service outcomes, shared known issues."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from store.kpi.scope import TEAM, Scope
from store.kpi.sqlfn import in_range
from store.models import CsatSurvey, Suggestion, Ticket, TicketLink

SHOWN = ("offered", "solved", "need_help")


@dataclass(frozen=True)
class Csat:
    """Surveys asked in a range and their answers."""

    asked: int = 0
    answered: int = 0
    average: float | None = None
    happy: int = 0  # 4 or 5 stars
    comments: int = 0

    @property
    def response_rate(self) -> float | None:
        """Answered / asked."""
        return self.answered / self.asked if self.asked else None

    @property
    def happy_rate(self) -> float | None:
        """Share of answers with 4 or 5 stars."""
        return self.happy / self.answered if self.answered else None


@dataclass(frozen=True)
class SelfService:
    """Suggestions on tickets created in a range."""

    shown: int = 0
    solved: int = 0
    top_articles: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class KnownIssue:
    """A bug or feature request, the tickets linked to it and the organizations they come from."""

    ref: str
    organizations: int
    tickets: int
    open_tickets: int


def csat(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Csat]:
    """Per group: surveys asked in the range, answered, average stars, 4-5 stars, comments."""
    rating = col(CsatSurvey.rating)
    comment = func.length(func.trim(func.coalesce(CsatSurvey.comment, "")))
    statement = select(
        scope.group().label("g"),
        func.count(),
        func.count(rating),
        func.avg(rating),
        func.sum(case((rating >= 4, 1), else_=0)),
        func.sum(case((comment > 0, 1), else_=0)),
    ).where(in_range(col(CsatSurvey.asked_at), start, end))
    if scope != TEAM:  # the whole team needs no ticket columns
        statement = scope.apply(statement.join(Ticket, col(Ticket.id) == col(CsatSurvey.ticket_id)))
    statement = scope.group_by(statement)
    result = {}
    for group, asked, answered, average, happy, comments in session.execute(statement):
        mean = None if average is None else round(float(average), 3)
        result[group] = Csat(int(asked), int(answered), mean, int(happy or 0), int(comments or 0))
    return result


def recent_comments(
    session: Session, *, start: datetime, end: datetime, limit: int = 5
) -> list[tuple[int, int, str]]:
    """(ticket number, stars, comment) of the latest commented answers in the range."""
    statement = (
        select(col(Ticket.number), col(CsatSurvey.rating), col(CsatSurvey.comment))
        .join(Ticket, col(Ticket.id) == col(CsatSurvey.ticket_id))
        .where(
            in_range(col(CsatSurvey.asked_at), start, end),
            col(CsatSurvey.rating).is_not(None),
            func.length(func.trim(func.coalesce(CsatSurvey.comment, ""))) > 0,
        )
        .order_by(col(CsatSurvey.answered_at).desc(), col(Ticket.number).desc())
        .limit(limit)
    )
    return [(number, stars, text) for number, stars, text in session.execute(statement)]


def self_service(session: Session, *, start: datetime, end: datetime, top: int = 5) -> SelfService:
    """Tickets created in the range that were shown articles, solved by one, top solvers."""
    joined = select(
        func.sum(case((col(Suggestion.outcome).in_(SHOWN), 1), else_=0)),
        func.sum(case((col(Suggestion.outcome) == "solved", 1), else_=0)),
    ).join(Ticket, col(Ticket.id) == col(Suggestion.ticket_id))
    # A suggestion is offered once its ticket exists: offered_at >= start narrows the scan.
    offered = col(Suggestion.offered_at) >= start
    shown, solved = session.execute(
        joined.where(in_range(col(Ticket.created_at), start, end), offered)
    ).one()
    article = col(Suggestion.solved_article_id)
    statement = (
        select(article, func.count())
        .join(Ticket, col(Ticket.id) == col(Suggestion.ticket_id))
        .where(
            in_range(col(Ticket.created_at), start, end),
            offered,
            col(Suggestion.outcome) == "solved",
            article.is_not(None),
        )
        .group_by(article)
        .order_by(func.count().desc(), article)
        .limit(top)
    )
    articles = tuple((name, int(count)) for name, count in session.execute(statement))
    return SelfService(int(shown or 0), int(solved or 0), articles)


def known_issues(
    session: Session, *, start: datetime, end: datetime, top: int = 10
) -> list[KnownIssue]:
    """Links shared by tickets created in the range, most organizations affected first."""
    is_open = case((col(Ticket.status).in_(["new", "open", "pending"]), 1), else_=0)
    organizations = func.count(func.distinct(Ticket.customer_team_id))
    statement = (
        select(col(TicketLink.ref), organizations, func.count(), func.sum(is_open))
        .join(Ticket, col(Ticket.id) == col(TicketLink.ticket_id))
        .where(in_range(col(Ticket.created_at), start, end))
        .group_by(col(TicketLink.ref))
        .order_by(organizations.desc(), func.count().desc(), col(TicketLink.ref))
        .limit(top)
    )
    return [
        KnownIssue(ref, int(orgs), int(count), int(still_open or 0))
        for ref, orgs, count, still_open in session.execute(statement)
    ]


def rating_counts(session: Session, *, start: datetime, end: datetime) -> dict[int, int]:
    """Answers per star rating for surveys asked in the range."""
    statement = (
        select(col(CsatSurvey.rating), func.count())
        .where(in_range(col(CsatSurvey.asked_at), start, end), col(CsatSurvey.rating).is_not(None))
        .group_by(col(CsatSurvey.rating))
    )
    return {int(stars): int(count) for stars, count in session.execute(statement)}
