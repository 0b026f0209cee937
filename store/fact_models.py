"""Tables designed for reading KPIs: one narrow row per ticket, and counts per UTC hour.

Both are derived data, kept current by database triggers in the same transaction as any
write to the tables they summarise (store/kpi/facts.py), so no write path can forget them.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utc_field

HOUR_KINDS = ("created", "resolved", "in", "out")


class TicketFact(SQLModel, table=True):
    """The inputs of every per-ticket KPI, one row per ticket (durations in whole seconds)."""

    __tablename__ = "ticket_fact"
    __table_args__ = (
        Index("ix_ticket_fact_created", "created_at", "frt_seconds"),
        Index("ix_ticket_fact_resolved", "resolved_at", "resolution_seconds"),
    )

    ticket_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    created_at: datetime = utc_field()
    first_response_at: datetime | None = utc_field(nullable=True)
    resolved_at: datetime | None = utc_field(nullable=True)
    channel_id: str = Field(max_length=32)
    customer_team_id: str = Field(max_length=32)
    priority: str = Field(max_length=16)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    assignee_id: str | None = Field(default=None, max_length=32)
    first_responder_id: str | None = Field(default=None, max_length=32)
    frt_seconds: int | None = Field(default=None, sa_column=Column(BigInteger))
    resolution_seconds: int | None = Field(default=None, sa_column=Column(BigInteger))
    reopen_count: int = 0
    agent_replies: int = 0  # stored agent messages, deletions excluded
    handle_seconds: int | None = Field(default=None, sa_column=Column(BigInteger))
    suggestion: str | None = Field(default=None, max_length=16)  # the suggestion's outcome
    solved_article_id: str | None = Field(default=None, max_length=200)


class KpiHour(SQLModel, table=True):
    """Additive counts per UTC hour: tickets created, resolved, messages in and out."""

    __tablename__ = "kpi_hour"

    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    kind: str = Field(sa_column=Column(String(8), primary_key=True))
    n: int = 0
