"""What customers say and do: CSAT answers, self-service outcomes, shared known issues."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, exists, func, literal_column, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store import statuses
from store.fact_models import KpiHour, TicketFact
from store.kpi.queries import rolled, volume
from store.kpi.queries.scope import TEAM, Scope
from store.kpi.sqlfn import ALL, in_range
from store.kpi.triggers.rollup import edges_outside, live_sums
from store.models import CsatSurvey, Ticket, TicketLink


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
    """A bug or feature request: the people, organizations and tickets it affects."""

    ref: str
    organizations: int
    tickets: int  # the linked tickets and the ones merged into them
    open_tickets: int
    customers: int = 0  # people who reported it


def csat(
    session: Session, *, start: datetime, end: datetime, scope: Scope = TEAM
) -> dict[Any, Csat]:
    """Per group: surveys asked in the range, answered, average stars, 4-5 stars, comments."""
    if scope == TEAM:
        return _team_csat(session, start=start, end=end)
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
    if scope.probes(start, end):
        group, filters = scope.lookup(col(CsatSurvey.ticket_id))
        statement = statement.with_only_columns(group.label("g"), *statement.selected_columns[1:])
        statement = statement.where(*filters)
        if scope.dimension is not None:
            statement = statement.group_by(literal_column("1"))
    else:
        joined = statement.join(TicketFact, col(TicketFact.ticket_id) == col(CsatSurvey.ticket_id))
        statement = scope.group_by(scope.apply(joined))
    result = {}
    for group, asked, answered, average, happy, comments in session.execute(statement):
        mean = None if average is None else round(float(average), 3)
        result[group] = Csat(int(asked), int(answered), mean, int(happy or 0), int(comments or 0))
    return result


STARS = tuple(range(1, 6))
SURVEY_KINDS = ("asked", "comments", *(f"s{stars}" for stars in STARS))


def _survey_counts(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Surveys asked, answers per star (`s1`..`s5`) and comments over [start, end):
    whole hours from kpi_hour, the partial hours at the edges from csat_survey."""
    found = dict.fromkeys(SURVEY_KINDS, 0)
    hours = volume.whole_hours(start, end)
    edges = edges_outside(start, end, hours)
    if hours is not None:
        sums = live_sums(session, KpiHour, key="kind", keys=SURVEY_KINDS, at="hour", whole=hours)
        for kind, n in sums.items():
            found[kind] += n
    rating = col(CsatSurvey.rating)
    comment = func.length(func.trim(func.coalesce(CsatSurvey.comment, "")))
    columns = [
        func.count(),
        func.sum(case((comment > 0, 1), else_=0)),
        *(func.sum(case((rating == stars, 1), else_=0)) for stars in STARS),
    ]
    for low, high in edges:
        row = session.execute(
            select(*columns).where(in_range(col(CsatSurvey.asked_at), low, high))
        ).one()
        for kind, n in zip(SURVEY_KINDS, row, strict=True):
            found[kind] += int(n or 0)
    return found


def _team_csat(session: Session, *, start: datetime, end: datetime) -> dict[Any, Csat]:
    found = _survey_counts(session, start=start, end=end)
    if not found["asked"]:
        return {}
    answered = sum(found[f"s{stars}"] for stars in STARS)
    total = sum(stars * found[f"s{stars}"] for stars in STARS)
    mean = round(total / answered, 3) if answered else None
    happy = found["s4"] + found["s5"]
    return {ALL: Csat(found["asked"], answered, mean, happy, found["comments"])}


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
    outcome, article = col(TicketFact.suggestion), col(TicketFact.solved_article_id)
    created = in_range(col(TicketFact.created_at), start, end)
    found = rolled.counts(session, metrics=("shown", "solved"), start=start, end=end)
    shown, solved = found["shown"], found["solved"]
    statement = (
        select(article, func.count())
        .where(created, outcome == "solved", article.is_not(None))
        .group_by(article)
        .order_by(func.count().desc(), article)
        .limit(top)
    )
    found = session.execute(statement) if top > 0 else []
    articles = tuple((name, int(count)) for name, count in found)
    return SelfService(int(shown or 0), int(solved or 0), articles)


def _linked_itself(merged: Any, start: datetime, end: datetime) -> Any:
    """A merged ticket that carries the same link itself and is one of the range's own."""
    own = aliased(TicketLink)
    return select(col(own.ticket_id)).where(
        col(own.ticket_id) == col(merged.id),
        col(own.ref) == col(TicketLink.ref),
        in_range(col(merged.created_at), start, end),
    )


def known_issues(
    session: Session, *, start: datetime, end: datetime, top: int = 10
) -> list[KnownIssue]:
    """Links on tickets created in the range, with the tickets merged into those (merges
    are how duplicates are counted): most customers (people) affected first, then
    organizations, then tickets."""
    member, parent = aliased(Ticket), aliased(Ticket)
    # Each linked ticket created in the range (the ticket's created_at is the facts' own)...
    linked = (
        select(
            col(TicketLink.ref).label("ref"),
            col(member.id).label("ticket_id"),
            col(member.customer_id).label("customer_id"),
            col(member.customer_team_id).label("org"),
            col(member.status).label("status"),
        )
        .select_from(member)
        .join(TicketLink, col(TicketLink.ticket_id) == col(member.id))
        .where(in_range(col(member.created_at), start, end))
    )
    # ...and the tickets merged into one (few: read from the merged_into_id index, which
    # holds merged tickets only). The ticket they went into is looked up by key: joined,
    # SQLite's planner walked every ticket of the range to find the few merged into them.
    went_into = select(col(parent.id)).where(
        col(parent.id) == col(member.merged_into_id), in_range(col(parent.created_at), start, end)
    )
    merged = (
        select(
            col(TicketLink.ref),
            col(member.id),
            col(member.customer_id),
            col(member.customer_team_id),
            col(member.status),
        )
        .select_from(member)
        .join(TicketLink, col(TicketLink.ticket_id) == col(member.merged_into_id))
        .where(col(member.merged_into_id) > 0, exists(went_into))
        .where(~exists(_linked_itself(member, start, end)))  # counted once, as a linked ticket
    )
    members = [linked, merged]
    rows = union_all(*members).subquery("members")
    # A ticket is in a link's members once (a merged one that carries the link itself is
    # left to the first half), so tickets and open tickets are plain counts.
    people = func.count(func.distinct(rows.c.customer_id))
    organizations = func.count(func.distinct(rows.c.org))
    tickets = func.count()
    is_open = func.sum(case((rows.c.status.in_([str(s) for s in statuses.LIVE]), 1), else_=0))
    statement = (
        select(rows.c.ref, people, organizations, tickets, is_open)
        .group_by(rows.c.ref)
        .order_by(people.desc(), organizations.desc(), tickets.desc(), rows.c.ref)
        .limit(top)
    )
    return [
        KnownIssue(ref, int(orgs), int(count), int(still_open or 0), int(customers))
        for ref, customers, orgs, count, still_open in session.execute(statement)
    ]


def rating_counts(session: Session, *, start: datetime, end: datetime) -> dict[int, int]:
    """Answers per star rating for surveys asked in the range."""
    found = _survey_counts(session, start=start, end=end)
    return {stars: found[f"s{stars}"] for stars in STARS if found[f"s{stars}"]}
