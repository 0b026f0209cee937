"""The SLA engine's tables: the notification outbox, kept targets, the sweep schedule and
the leads' daily digest."""

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.types import utc_field as _utc

PENDING = "status = 'pending'"  # the outbox rows still to send (the due index's predicate)


class SlaNotification(SQLModel, table=True):
    """One SLA nudge or alert, written before it is sent: the unique key makes it once."""

    __tablename__ = "sla_notification"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target", "level", "cycle", name="uq_sla_notification"),
        # Only pending rows: marking a row sent or dropped then writes no entry here, and
        # the index stays the size of the backlog, not of the whole history.
        Index(
            "ix_sla_notification_due",
            "next_attempt_at",
            sqlite_where=text(PENDING),
            postgresql_where=text(PENDING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # A ticket id without an index or foreign key of its own, to keep the sweep's insert
    # light: uq_sla_notification starts with ticket_id, and the sweep only writes rows for
    # tickets it has just read (tickets are never deleted). See migration 0014.
    ticket_id: int
    target: str = Field(max_length=32)
    level: str = Field(max_length=32)
    cycle: str = Field(max_length=64)
    recipient: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)


class SlaTarget(SQLModel, table=True):
    """One SLA clock of a ticket and how it ended: what breach KPIs count.

    The ticket's `*_due_at` columns only hold the targets still running; this row keeps the
    due time that applied after the target is met, so breaches can be counted in SQL.
    A target is breached when `met_at` is later than `due_at`, or it is still unmet after it.
    """

    __tablename__ = "sla_target"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target", "cycle", name="uq_sla_target"),
        Index("ix_sla_target_due", "target", "due_at"),
        Index("ix_sla_target_due_at", "due_at"),  # KPIs: every target due in a range
        # "Past an SLA target now": the few unmet targets, without reading the met ones.
        Index(
            "ix_sla_target_unmet",
            "due_at",
            "ticket_id",
            sqlite_where=text("met_at IS NULL"),
            postgresql_where=text("met_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    target: str = Field(max_length=32)  # first_response | next_response | resolution
    cycle: str = Field(max_length=64)  # which run of the clock (a reopen starts a new one)
    policy: str = Field(max_length=100)
    business_hours: bool = False
    due_at: datetime = _utc()
    met_at: datetime | None = _utc(nullable=True)


class DailyDigest(SQLModel, table=True):
    """The leads' daily digest of one local day, written before it is sent: once per day."""

    __tablename__ = "daily_digest"
    __table_args__ = (Index("ix_daily_digest_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)  # the local day it is posted on (it reports the day before)
    channel: str = Field(max_length=32)
    status: str = Field(default="pending", max_length=16)  # pending | sent | dropped
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)


class SlaSchedule(SQLModel, table=True):
    """When the SLA sweep must next look at a ticket, and how far it has swept it.

    A narrow table of its own: the sweep rewrites it for every due ticket, which stays
    cheap because only its own two indexes change, not the ticket's many.
    """

    __tablename__ = "sla_schedule"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    alert_at: datetime | None = _utc(nullable=True, index=True)
    swept_until: datetime | None = _utc(nullable=True)
