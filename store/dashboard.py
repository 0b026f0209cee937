"""The dashboard's ticket list: one row per ticket, filtered, sorted, a page at a time.

A list drilled down from a KPI counts the tickets the KPI counted: the same moments (the
ticket's created and resolved times, which `ticket_fact` mirrors), the same ranges
(`in_range`), the same SLA breach condition (`store.kpi.queries.sla.breached`). Filters
and order use the ticket's own indexed columns (workspace and creation, status,
organization, resolution), so a page of the newest reads fifty index entries, not every
ticket; `ticket_fact` is joined for the first-response time of the rows shown. A filter's
range applies to one moment of a ticket (`on`): when it was created, resolved, when a
target was due, when its survey was asked.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from store.fact_models import KpiGroupDay, TicketFact
from store.kpi.queries.sla import breached
from store.kpi.sqlfn import in_range
from store.kpi.triggers.rollup import live
from store.models import CsatSurvey, Ticket, TicketLink, TicketTag
from store.sla_models import SlaTarget
from store.statuses import LIVE

ON = ("created", "resolved", "due", "asked")  # which moment a range filters on
SLA_OUTCOMES = ("due", "met", "breached")
SORTS = {
    "created": col(Ticket.created_at),
    "number": col(Ticket.number),
    "updated": col(Ticket.updated_at),
    "status": col(Ticket.status),
    "priority": col(Ticket.priority),
    "frt": col(TicketFact.frt_seconds),
    "resolved": col(Ticket.resolved_at),
}
NULLABLE = frozenset({"frt", "resolved"})
BREACHING_DAYS = 90  # as the KPI service's breaching list: targets due in the last 90 days
MAX_NUMBERS = 1000
UNASSIGNED = "none"  # the agent filter's value for tickets nobody holds


@dataclass(frozen=True)
class TicketFilter:
    """What the list shows; every field left empty filters nothing."""

    start: datetime | None = None
    end: datetime | None = None
    on: str = "created"
    statuses: tuple[str, ...] = ()
    org: str | None = None
    agent: str | None = None
    channel: str | None = None
    tag: str | None = None
    priority: str | None = None
    breaching: bool = False
    sla: str | None = None  # with on="due": targets due / met in time / breached
    target: str | None = None  # first_response | next_response | resolution
    stars: int | None = None  # with on="asked": surveys answered with this many stars
    link: str | None = None  # a linked issue's reference
    numbers: tuple[int, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Row:
    """One ticket of the list (ids; the caller puts names on them)."""

    number: int
    subject: str
    status: str
    priority: str
    channel_id: str
    org_id: str
    customer_id: str
    assignee_id: str | None
    created_at: datetime
    first_response_at: datetime | None
    frt_seconds: int | None
    resolved_at: datetime | None
    updated_at: datetime
    permalink: str | None


def _filtered(statement: Select[Any], wanted: TicketFilter, now: datetime) -> Select[Any]:
    """Add the filter's conditions to a statement over ticket."""
    ticket = Ticket
    conditions: list[Any] = []
    ranged = wanted.start is not None and wanted.end is not None
    if ranged and wanted.on == "created":
        conditions.append(in_range(col(ticket.created_at), wanted.start, wanted.end))
    if ranged and wanted.on == "resolved":
        conditions.append(in_range(col(ticket.resolved_at), wanted.start, wanted.end))
    # A range on another table's moment drives the query from that table's index: the
    # tickets are the ones its rows in range point at (not a probe per ticket).
    if wanted.on == "due" and (ranged or wanted.sla):
        conditions.append(col(ticket.id).in_(_targets(wanted, now)))
    if wanted.on == "asked" and (ranged or wanted.stars):
        survey = select(col(CsatSurvey.ticket_id))
        if ranged:
            survey = survey.where(in_range(col(CsatSurvey.asked_at), wanted.start, wanted.end))
        if wanted.stars:
            survey = survey.where(col(CsatSurvey.rating) == wanted.stars)
        else:
            survey = survey.where(col(CsatSurvey.rating).is_not(None))
        conditions.append(col(ticket.id).in_(survey))
    if wanted.statuses:
        conditions.append(col(ticket.status).in_(wanted.statuses))
    if wanted.agent == UNASSIGNED:
        conditions.append(col(ticket.assignee_id).is_(None))
    for column, value in (
        (ticket.customer_team_id, wanted.org),
        (ticket.assignee_id, None if wanted.agent == UNASSIGNED else wanted.agent),
        (ticket.channel_id, wanted.channel),
        (ticket.priority, wanted.priority),
    ):
        if value:
            conditions.append(col(column) == value)
    if wanted.tag:
        tagged = select(col(TicketTag.id)).where(
            col(TicketTag.ticket_id) == ticket.id, col(TicketTag.tag) == wanted.tag
        )
        conditions.append(exists(tagged))
    if wanted.link:
        linked = select(col(TicketLink.ticket_id)).where(col(TicketLink.ref) == wanted.link)
        conditions.append(col(ticket.id).in_(linked))
    if wanted.breaching:
        late = select(col(SlaTarget.ticket_id)).where(
            col(SlaTarget.met_at).is_(None),
            col(SlaTarget.due_at) < now,
            col(SlaTarget.due_at) >= now - timedelta(days=BREACHING_DAYS),
        )
        conditions += [col(ticket.status).in_(LIVE), col(ticket.id).in_(late)]
    if wanted.numbers:
        conditions.append(col(Ticket.number).in_(wanted.numbers[:MAX_NUMBERS]))
    return statement.where(*conditions)


def _targets(wanted: TicketFilter, now: datetime) -> Select[Any]:
    """The ticket's SLA targets the filter asks for (due in its range, with an outcome)."""
    targets = select(col(SlaTarget.ticket_id))
    if wanted.start is not None and wanted.end is not None:
        targets = targets.where(in_range(col(SlaTarget.due_at), wanted.start, wanted.end))
    if wanted.target:
        targets = targets.where(col(SlaTarget.target) == wanted.target)
    if wanted.sla == "breached":
        targets = targets.where(breached(now))
    elif wanted.sla == "met":
        met_at = col(SlaTarget.met_at)
        targets = targets.where(and_(met_at.is_not(None), met_at <= col(SlaTarget.due_at)))
    return targets


def _base(columns: list[Any], workspace_id: str, *, facts: bool = True) -> Select[Any]:
    statement = select(*columns).select_from(Ticket)
    if facts:  # one row per ticket, by primary key
        statement = statement.join(TicketFact, col(TicketFact.ticket_id) == col(Ticket.id))
    return statement.where(col(Ticket.workspace_id) == workspace_id)


ROW_COLUMNS = [
    col(Ticket.number),
    col(Ticket.subject),
    col(Ticket.status),
    col(Ticket.priority),
    col(Ticket.channel_id),
    col(Ticket.customer_team_id).label("org_id"),
    col(Ticket.customer_id),
    col(Ticket.assignee_id),
    col(Ticket.created_at),
    col(Ticket.first_response_at),
    col(TicketFact.frt_seconds),
    col(Ticket.resolved_at),
    col(Ticket.updated_at),
    col(Ticket.permalink),
]


def count_tickets(
    session: Session, *, workspace_id: str, wanted: TicketFilter, now: datetime
) -> int:
    """How many tickets the filter lets through."""
    statement = _filtered(_base([func.count()], workspace_id, facts=False), wanted, now)
    return int(session.execute(statement).scalar_one())


def _ordered(statement: Select[Any], sort: str) -> Select[Any]:
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    column = SORTS.get(name, SORTS["created"])
    key = column.desc() if descending else column.asc()
    if name in NULLABLE:  # dialects place nulls differently: last, always
        key = key.nulls_last()
    # Ties broken by the ticket's number, so pages never overlap.
    tie = col(Ticket.number).desc() if descending else col(Ticket.number).asc()
    return statement.order_by(key, tie)


def list_tickets(
    session: Session,
    *,
    workspace_id: str,
    wanted: TicketFilter,
    now: datetime,
    sort: str = "-created",
    offset: int = 0,
    limit: int = 50,
) -> list[Row]:
    """One page of the filtered list, sorted by `sort` (`-` first: descending)."""
    statement = _ordered(_filtered(_base(ROW_COLUMNS, workspace_id), wanted, now), sort)
    return [Row(*found) for found in session.execute(statement.offset(offset).limit(limit))]


def iter_tickets(
    session: Session, *, workspace_id: str, wanted: TicketFilter, now: datetime, sort: str
) -> Iterator[Any]:
    """Every ticket the filter lets through, streamed in `sort` order (for CSV): result
    rows with `Row`'s fields as attributes (an export of 10,000s of rows makes no copies)."""
    statement = _ordered(_filtered(_base(ROW_COLUMNS, workspace_id), wanted, now), sort)
    yield from session.execute(statement.execution_options(yield_per=2000))


def filter_choices(
    session: Session, *, workspace_id: str, start: datetime, end: datetime
) -> dict[str, list[str]]:
    """The values each filter can take: the agents, organizations, channels, types and
    priorities with tickets in days of [start, end), from the KPI rollup (a few rows a day)
    rather than a scan of every ticket."""
    rows = live(session, KpiGroupDay).c
    first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    statement = (
        select(rows.dimension, rows.grp)
        .where(rows.day >= first, rows.day < end, rows.created > 0)
        .distinct()
    )
    found: dict[str, set[str]] = {name: set() for name in ("agent", "org", "channel", "type")}
    found["priority"] = set()
    for dimension, group in session.execute(statement):
        # The rollup's unassigned row (group "") is no one to filter by.
        if dimension in found and group:
            found[dimension].add(str(group))
    return {name: sorted(values) for name, values in found.items()}
