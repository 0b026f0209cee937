"""Which rows an erasure reaches: one customer's, one organization's, or old ones.

A scope is a condition per table, so one redaction (store/erasure/redact.py) serves
`deskbot erase` and the retention job alike. A customer's tickets are erased whole (the
agents' replies and notes in them quote the customer), and so are the customer's own
messages anywhere else.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlmodel import col

from store.models import (
    Activity,
    ArticleExample,
    CsatSurvey,
    HeldChange,
    InboxEvent,
    Message,
    SlaNotification,
    Suggestion,
    Ticket,
)
from store.names import ORG, USER

CUSTOMER, ORGANIZATION, RETENTION = "customer", "org", "retention"

Condition = ColumnElement[bool]


@dataclass(frozen=True)
class Scope:
    """The rows to redact, table by table (conditions on each table's own columns)."""

    kind: str
    subject: str
    tickets: Condition
    messages: Condition
    held: Condition
    surveys: Condition
    activities: Condition  # their notes and comments
    notifications: Condition  # SLA alerts: their line quotes the ticket's subject
    suggestions: Condition  # the question is the customer's text
    inbox: Condition  # an SQL prefilter; `inbox_match` decides on the payload
    inbox_match: Callable[[Any], bool]
    examples: Condition  # deleted: a learned question is the customer's text itself
    names: list[tuple[str, str]] = field(default_factory=list)  # (kind, id) forgotten


def customer(user_id: str) -> Scope:
    """Everything of one customer (a Slack user id)."""
    tickets = col(Ticket.customer_id) == user_id
    return _subject(
        CUSTOMER,
        user_id,
        tickets=tickets,
        own_messages=col(Message.user_id) == user_id,
        own_surveys=col(CsatSurvey.customer_id) == user_id,
        inbox_match=lambda payload: _has(payload, ("user",), user_id),
        names=[(USER, user_id)],
    )


def organization(team_id: str, *, people: list[str]) -> Scope:
    """Everything of one customer organization (a Slack team id) and its people."""
    tickets = col(Ticket.customer_team_id) == team_id
    return _subject(
        ORGANIZATION,
        team_id,
        tickets=tickets,
        own_messages=col(Message.user_team_id) == team_id,
        own_surveys=col(CsatSurvey.customer_id).in_(people) if people else false(),
        inbox_match=lambda payload: _has(payload, ("user_team", "source_team", "team"), team_id),
        names=[(ORG, team_id), *((USER, person) for person in people)],
    )


def people_of(team_id: str) -> Any:
    """A query of the user ids seen writing for an organization."""
    return (
        select(col(Ticket.customer_id))
        .where(col(Ticket.customer_team_id) == team_id)
        .union(select(col(Message.user_id)).where(col(Message.user_team_id) == team_id))
    )


def _subject(
    kind: str,
    subject: str,
    *,
    tickets: Condition,
    own_messages: Condition,
    own_surveys: Condition,
    inbox_match: Callable[[Any], bool],
    names: list[tuple[str, str]],
) -> Scope:
    ticket_ids = select(col(Ticket.id)).where(tickets)
    # A reply in the thread that has not been tied to its ticket yet is still the thread's.
    in_thread = (
        select(col(Ticket.id))
        .where(
            tickets,
            col(Ticket.channel_id) == col(Message.channel_id),
            col(Ticket.root_ts) == col(Message.thread_ts),
        )
        .exists()
    )
    messages = or_(
        col(Message.ticket_id).in_(ticket_ids),
        own_messages,
        and_(col(Message.ticket_id).is_(None), in_thread),
    )
    held = (
        select(col(Message.id))
        .where(
            messages,
            col(Message.channel_id) == col(HeldChange.channel_id),
            col(Message.ts) == col(HeldChange.ts),
        )
        .exists()
    )
    return Scope(
        kind=kind,
        subject=subject,
        tickets=tickets,
        messages=messages,
        held=held,
        surveys=or_(col(CsatSurvey.ticket_id).in_(ticket_ids), own_surveys),
        activities=col(Activity.ticket_id).in_(ticket_ids),
        notifications=col(SlaNotification.ticket_id).in_(ticket_ids),
        suggestions=col(Suggestion.ticket_id).in_(ticket_ids),
        inbox=col(InboxEvent.id).is_not(None),
        inbox_match=inbox_match,
        examples=col(ArticleExample.ticket_id).in_(ticket_ids),
        names=names,
    )


def before(start: datetime | None, end: datetime) -> Scope:
    """Text written in [start, end) (the retention job; `start` None: from the beginning)."""

    def span(column: Any) -> Condition:
        upper = col(column) < end
        return upper if start is None else and_(col(column) >= start, upper)

    return Scope(
        kind=RETENTION,
        subject=end.isoformat(),
        tickets=span(Ticket.created_at),
        messages=span(Message.sent_at),
        held=span(HeldChange.at),
        surveys=span(CsatSurvey.asked_at),
        activities=span(Activity.at),
        notifications=span(SlaNotification.created_at),
        suggestions=span(Suggestion.offered_at),
        inbox=span(InboxEvent.received_at),
        inbox_match=lambda _payload: True,
        examples=false(),  # the matcher's learned examples stay (docs/admin-guide.md: retention)
    )


def _has(payload: Any, keys: tuple[str, ...], value: str) -> bool:
    """Whether any object in a JSON payload has one of `keys` equal to `value`."""
    if isinstance(payload, dict):
        if any(payload.get(key) == value for key in keys):
            return True
        return any(_has(item, keys, value) for item in payload.values())
    if isinstance(payload, list):
        return any(_has(item, keys, value) for item in payload)
    return False
