"""The tables: tickets, their messages with edit history, the audit trail, intake keys."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.types import utc_field as _utc


class TicketStatus(StrEnum):
    """Where a ticket is in its lifecycle."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class AuthorRole(StrEnum):
    """Who wrote a ticket message, as far as metrics are concerned."""

    CUSTOMER = "customer"
    AGENT = "agent"


class TicketCounter(SQLModel, table=True):
    """The last ticket number handed out in a workspace (`#42`)."""

    __tablename__ = "ticket_counter"

    workspace_id: str = Field(primary_key=True, max_length=32)
    last_number: int = 0


class Ticket(SQLModel, table=True):
    """One customer question: one Slack thread, numbered per workspace."""

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("channel_id", "root_ts", name="uq_ticket_thread"),
        # number first (on PostgreSQL since 0018): see ix_message_thread on Message
        UniqueConstraint("number", "workspace_id", name="uq_ticket_number"),
        Index("ix_ticket_status", "workspace_id", "status"),
        # The duplicate scan reads a workspace's newest tickets in order, without a sort.
        Index("ix_ticket_recent", "workspace_id", "created_at"),
        Index("ix_ticket_resolved_at", "resolved_at"),  # KPIs: resolved in a range
        Index("ix_ticket_merged_at", "merged_at"),  # KPIs: left the backlog by a merge (0021)
        # Only merged tickets (0025): over mostly NULLs, SQLite's statistics say one value
        # matches every row, and "merged into #N" scanned the table (1M: 282 -> 0.1 ms).
        Index(
            "ix_ticket_merged_into_id",
            "merged_into_id",
            sqlite_where=text("merged_into_id IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32)
    number: int
    channel_id: str = Field(max_length=32)
    root_ts: str = Field(max_length=32)
    customer_id: str = Field(max_length=32)
    customer_team_id: str = Field(max_length=32, index=True)
    is_external: bool = False
    subject: str = Field(sa_column=Column(Text, nullable=False))
    # Plain strings, not database enums, so later states need no type migration.
    status: TicketStatus = Field(
        default=TicketStatus.NEW, sa_column=Column(String(16), nullable=False)
    )
    priority: str = Field(default="normal", max_length=16)
    assignee_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = _utc(index=True)
    first_response_at: datetime | None = _utc(nullable=True)
    first_responder_id: str | None = Field(default=None, max_length=32)
    last_customer_message_at: datetime | None = _utc(nullable=True)
    last_agent_message_at: datetime | None = _utc(nullable=True)
    resolved_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)
    reopen_count: int = 0
    permalink: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    triage_channel_id: str | None = Field(default=None, max_length=32)
    triage_ts: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _utc()
    sla_policy: str | None = Field(default=None, max_length=100)
    first_response_due_at: datetime | None = _utc(nullable=True, index=True)
    next_response_due_at: datetime | None = _utc(nullable=True, index=True)
    resolution_due_at: datetime | None = _utc(nullable=True, index=True)
    # Set while a replica finishes a ticket whose follow-up (card, reaction) was cut short.
    followup_lease_until: datetime | None = _utc(nullable=True)
    # A merged ticket is closed and points at the ticket it was folded into (always the
    # surviving one: merges are flattened), so its customer still counts for that issue.
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")
    merged_at: datetime | None = _utc(nullable=True)
    # Kept by the SLA planner: the customer's first unanswered message, and when the
    # current resolution cycle began (the last reopening).
    sla_waiting_since: datetime | None = _utc(nullable=True)
    sla_cycle_started_at: datetime | None = _utc(nullable=True)


class Message(SQLModel, table=True):
    """A human message in a ticket's thread (or a thread reply waiting for its ticket)."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel_id", "ts", name="uq_message_ts"),
        # thread_ts first: a lookup by channel and ts must find uq_message_ts the only
        # index that fits, or a plan made while the table was young scans the channel
        Index("ix_message_thread", "thread_ts", "channel_id"),
        # KPIs: messages in/out per range, answered from the index alone
        Index("ix_message_sent_role", "sent_at", "role", "ticket_id", "deleted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    channel_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    user_id: str = Field(max_length=32)
    user_team_id: str | None = Field(default=None, max_length=32)
    role: AuthorRole = Field(sa_column=Column(String(16), nullable=False))
    subtype: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    files: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    sent_at: datetime = _utc()
    edited_at: datetime | None = _utc(nullable=True)
    deleted_at: datetime | None = _utc(nullable=True)
    event_id: str | None = Field(default=None, max_length=64)


class MessageRevision(SQLModel, table=True):
    """The text a message had before an edit or a delete: nothing is ever lost."""

    __tablename__ = "message_revision"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    files: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    replaced_at: datetime = _utc()


class InboxEvent(SQLModel, table=True):
    """A message event stored as Slack sent it, before Slack got its acknowledgement.

    Intake turns it into tickets and messages after the acknowledgement and then deletes
    it; a row still here when its lease runs out was cut short and is taken up again.
    """

    __tablename__ = "inbox_event"

    id: int | None = Field(default=None, primary_key=True)
    event_key: str = Field(max_length=64, unique=True)  # Slack's event id: redeliveries clash
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = _utc()
    lease_until: datetime = _utc(index=True)
    attempts: int = 0
    failed_at: datetime | None = _utc(nullable=True)  # given up on: kept for a person to read


class HeldChange(SQLModel, table=True):
    """An edit or delete that arrived before its message; applied when the message does."""

    __tablename__ = "held_change"
    __table_args__ = (Index("ix_held_change_message", "channel_id", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # edit | delete
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    files: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    at: datetime = _utc(index=True)


class ProcessedEvent(SQLModel, table=True):
    """Slack event ids already handled, so redeliveries are recognised."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=64)
    received_at: datetime = _utc()


class Activity(SQLModel, table=True):
    """The audit trail: who did what to a ticket, and when."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_action_at", "action", "at"),  # KPIs: claims and reopens in a range
        Index("ix_activity_ticket_action", "ticket_id", "action", "at"),  # KPIs: first claim
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    actor_id: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    at: datetime = _utc()


class TicketTag(SQLModel, table=True):
    """A ticket's type tags (normalised: "Billing " and "billing" are one)."""

    __tablename__ = "ticket_tag"
    __table_args__ = (UniqueConstraint("ticket_id", "tag", name="uq_ticket_tag"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    tag: str = Field(max_length=64, index=True)


class TicketLink(SQLModel, table=True):
    """A bug or feature request in another tracker that a ticket is about."""

    __tablename__ = "ticket_link"
    __table_args__ = (UniqueConstraint("ticket_id", "ref", name="uq_ticket_link"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    ref: str = Field(max_length=500, index=True)


class SuggestionOutcome(StrEnum):
    """What became of the articles suggested for a ticket."""

    OFFERED = "offered"  # shown, no answer yet
    SOLVED = "solved"  # "This solved it": the ticket was deflected
    NEED_HELP = "need_help"  # "I still need help"
    NONE = "none"  # nothing in the knowledge base was good enough
    SKIPPED = "skipped"  # small talk, not a question


class Suggestion(SQLModel, table=True):
    """The self-service suggestion made for a ticket (at most one per ticket)."""

    __tablename__ = "suggestion"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    lang: str = Field(max_length=8)
    article_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    top_score: float | None = None
    outcome: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    solved_article_id: str | None = Field(default=None, max_length=200)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    offered_at: datetime = _utc(index=True)
    decided_at: datetime | None = _utc(nullable=True)
    decided_by: str | None = Field(default=None, max_length=32)


class ArticleExample(SQLModel, table=True):
    """A real question that an article answered: how the matcher learns."""

    __tablename__ = "article_example"
    __table_args__ = (UniqueConstraint("article_id", "text_key", name="uq_article_example"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(max_length=200, index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_key: str = Field(max_length=64)  # a hash of the normalised text, for uniqueness
    source: str = Field(max_length=32)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = _utc()


class TicketPause(SQLModel, table=True):
    """A stretch of time the ticket waited on the customer: SLA clocks stop."""

    __tablename__ = "ticket_pause"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    started_at: datetime = _utc()
    ended_at: datetime | None = _utc(nullable=True)


class CsatSurvey(SQLModel, table=True):
    """A satisfaction survey asked in a resolved ticket's thread, and the customer's answer."""

    __tablename__ = "csat_survey"

    id: int | None = Field(default=None, primary_key=True)
    # One survey per ticket: a customer is never asked twice about the same question.
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    customer_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)  # the survey post
    asked_at: datetime = _utc(index=True)
    rating: int | None = None  # 1..5 stars once answered
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_at: datetime | None = _utc(nullable=True)


class TicketDuplicate(SQLModel, table=True):
    """An older live ticket whose text is close to this one's: shown on the triage card."""

    __tablename__ = "ticket_duplicate"
    __table_args__ = (UniqueConstraint("ticket_id", "duplicate_of_id", name="uq_ticket_duplicate"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    duplicate_of_id: int = Field(foreign_key="ticket.id", index=True)
    score: float
    found_at: datetime = _utc()


class AgentAway(SQLModel, table=True):
    """An agent who is away (`/ticket away`): routing skips them until `until` or `back`."""

    __tablename__ = "agent_away"

    workspace_id: str = Field(primary_key=True, max_length=32)
    agent_id: str = Field(primary_key=True, max_length=32)
    since: datetime = _utc()
    until: datetime | None = _utc(nullable=True)  # None: until `/ticket back`


class RoutingCursor(SQLModel, table=True):
    """Who got the last auto-assigned ticket of a routing scope: round robin, in the database.

    The workspace-wide row (scope `*`) is also the lock that serialises routing decisions
    across replicas.
    """

    __tablename__ = "routing_cursor"

    workspace_id: str = Field(primary_key=True, max_length=32)
    scope: str = Field(primary_key=True, max_length=32)  # a channel id, or `*`
    last_agent_id: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _utc()


class TicketClaim(SQLModel, table=True):
    """The current (or last) claim on a ticket, and when it times out without an agent reply."""

    __tablename__ = "ticket_claim"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    agent_id: str = Field(max_length=32)
    how: str = Field(max_length=16)  # claimed | assigned | auto
    claimed_at: datetime = _utc()
    due_at: datetime | None = _utc(nullable=True, index=True)  # None: no timeout running
    released_at: datetime | None = _utc(nullable=True)


class SlackName(SQLModel, table=True):
    """The last name Slack gave for an organization, a person or a channel.

    Remembered when the bot resolves one, so the CLI (which has no Slack client) and the
    exports show names, not ids.
    """

    __tablename__ = "slack_name"

    kind: str = Field(primary_key=True, max_length=16)  # org | user | channel
    slack_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=255)
    updated_at: datetime = _utc()


# The SLA engine's tables live in their own module; importing them here registers them
# with the metadata wherever the models are imported, and keeps `store.models` the one
# place to import any table from.
from store.erasure_models import ErasureLog as ErasureLog  # noqa: E402
from store.fact_models import KpiCalendar as KpiCalendar  # noqa: E402
from store.fact_models import KpiDay as KpiDay  # noqa: E402
from store.fact_models import KpiHour as KpiHour  # noqa: E402
from store.fact_models import KpiOpenDay as KpiOpenDay  # noqa: E402
from store.fact_models import KpiSlaHour as KpiSlaHour  # noqa: E402
from store.fact_models import KpiTagDay as KpiTagDay  # noqa: E402
from store.fact_models import TicketFact as TicketFact  # noqa: E402
from store.sla_models import DailyDigest as DailyDigest  # noqa: E402
from store.sla_models import SlaNotification as SlaNotification  # noqa: E402
from store.sla_models import SlaSchedule as SlaSchedule  # noqa: E402
from store.sla_models import SlaTarget as SlaTarget  # noqa: E402
