"""Tables designed for reading KPIs: one narrow row per ticket, and counts per UTC hour.

Both are derived data, kept current by database triggers in the same transaction as any
write to the tables they summarise (store/kpi/triggers/facts.py), so no write path can forget them.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, inspect
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utc_field

# `merged`: tickets merged into another while unresolved, at the merge (they leave the
# backlog there without a resolution: store/kpi/triggers/facts.merged_moment).
HOUR_KINDS = ("created", "resolved", "merged", "in", "out")


class TicketFact(SQLModel, table=True):
    """The inputs of every per-ticket KPI, one row per ticket (durations in whole seconds)."""

    __tablename__ = "ticket_fact"
    __table_args__ = (
        Index("ix_ticket_fact_created", "created_at", "frt_seconds"),
        Index("ix_ticket_fact_resolved", "resolved_at", "resolution_seconds"),
        # A percentile reads one histogram bucket's values in order (store/kpi/triggers/rollup.py).
        Index("ix_ticket_fact_frt", "frt_seconds", "created_at"),
        Index("ix_ticket_fact_frt_business", "frt_business_seconds", "created_at"),
        Index("ix_ticket_fact_resolution", "resolution_seconds", "resolved_at"),
        Index("ix_ticket_fact_handle", "handle_seconds", "resolved_at"),
        Index("ix_ticket_fact_handle_business", "handle_business_seconds", "resolved_at"),
        # Self-service: the articles that solved tickets created in a range.
        Index("ix_ticket_fact_suggestion", "suggestion", "created_at", "solved_article_id"),
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
    # Open seconds of the team's calendar (kpi_open_day) from creation to first response.
    frt_business_seconds: int | None = Field(default=None, sa_column=Column(BigInteger))
    resolution_seconds: int | None = Field(default=None, sa_column=Column(BigInteger))
    reopen_count: int = 0
    agent_replies: int = 0  # stored agent messages, deletions excluded
    handle_seconds: int | None = Field(default=None, sa_column=Column(BigInteger))
    suggestion: str | None = Field(default=None, max_length=16)  # the suggestion's outcome
    solved_article_id: str | None = Field(default=None, max_length=200)
    # handle_seconds counted in the opening hours of the team's calendar (since 0021).
    handle_business_seconds: int | None = Field(default=None, sa_column=Column(BigInteger))


class KpiHour(SQLModel, table=True):
    """Additive counts per UTC hour: tickets created, resolved, messages in and out."""

    __tablename__ = "kpi_hour"
    # Reads ask for a few kinds over a range of hours: by kind first, the count included.
    __table_args__ = (Index("ix_kpi_hour_kind", "kind", "hour", "n"),)

    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    kind: str = Field(sa_column=Column(String(8), primary_key=True))
    n: int = 0


class KpiDay(SQLModel, table=True):
    """Per UTC day: counts and duration histograms of ticket_fact (store/kpi/triggers/rollup.py)."""

    __tablename__ = "kpi_day"

    # Metric first: a reader sums one metric's rows over a range of days.
    metric: str = Field(sa_column=Column(String(16), primary_key=True))
    day: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    bucket: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    total: int = Field(sa_column=Column(BigInteger, nullable=False))


class KpiTagDay(SQLModel, table=True):
    """Tickets created per UTC day and type tag (store/kpi/triggers/rollup.py)."""

    __tablename__ = "kpi_tag_day"

    day: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    tag: str = Field(sa_column=Column(String(64), primary_key=True))
    n: int = 0


class KpiSlaHour(SQLModel, table=True):
    """SLA targets per UTC hour of their due time and kind of target: how many were due,
    met in time (ok), met late, and are still open (sla_rollup.py). One row per hour and
    target, not per hour, target and outcome: a year's read is a quarter of the rows."""

    __tablename__ = "kpi_sla_hour"

    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    target: str = Field(sa_column=Column(String(32), primary_key=True))
    due: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    ok: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    late: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    open: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class KpiGroupDay(SQLModel, table=True):
    """Per dimension, group and UTC day: additive totals for breakdowns (group_rollup.py)."""

    __tablename__ = "kpi_group_day"

    # Dimension and day first: a breakdown sums one dimension's rows over a range of days.
    dimension: str = Field(sa_column=Column(String(8), primary_key=True))
    day: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    grp: str = Field(sa_column=Column(String(64), primary_key=True))
    created: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    resolved: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    frt_n: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    frt_s: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    frtb_n: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    frtb_s: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    handle_n: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    handle_s: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    csat_asked: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    csat_answered: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    csat_stars: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    sla_due: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    sla_ok: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    sla_late: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    sla_open: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    claims: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class KpiOpenDay(SQLModel, table=True):
    """The team's opening hours per local day, for business-hours durations in SQL.

    `day_start` is the day's local midnight as a UTC instant; `opens` the epoch second its
    window opens (0 when closed), `length` its open seconds, `before` the open seconds of
    all earlier rows. Rewritten (and the facts recomputed) when the calendar changes.
    """

    __tablename__ = "kpi_open_day"

    day_start: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    opens: int = Field(sa_column=Column(BigInteger, nullable=False))
    length: int = Field(sa_column=Column(BigInteger, nullable=False))
    before: int = Field(sa_column=Column(BigInteger, nullable=False))


class KpiFrtVersion(SQLModel, table=True):
    """Per UTC hour of creation: how many times an answered ticket's first response
    changed (store/kpi/queries/frt_days.py): a cached day is current while its hours' sum is."""

    __tablename__ = "kpi_frt_version"

    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    n: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class KpiFrtDay(SQLModel, table=True):
    """First response time of the tickets created on one ended local day: a cache,
    valid while `version` equals the day's hours' sum in kpi_frt_version."""

    __tablename__ = "kpi_frt_day"

    timezone: str = Field(sa_column=Column(String(64), primary_key=True))
    day: str = Field(sa_column=Column(String(10), primary_key=True))  # ISO date
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None


class KpiCalendar(SQLModel, table=True):
    """Which calendar kpi_open_day holds (a fingerprint of `business_hours`) and its span."""

    __tablename__ = "kpi_calendar"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    fingerprint: str = Field(max_length=64)
    first_day: datetime = utc_field()
    last_day: datetime = utc_field()


def _pending_twin(model: type[SQLModel]) -> Table:
    """The unconstrained twin PostgreSQL triggers append counter deltas to (rollup.pending)."""
    base = model.__table__  # type: ignore[attr-defined]
    columns = [Column(column.name, column.type, nullable=False) for column in base.columns]
    return Table(f"{base.name}_pending", SQLModel.metadata, *columns)


PENDING = [_pending_twin(model) for model in (KpiHour, KpiDay, KpiTagDay, KpiSlaHour)]


def _scratch(name: str) -> Table:
    """A table with ticket_fact's columns where SQLite's fact triggers hold one ticket's
    row before or after a refresh (store/kpi/facts.refresh_sql); empty between writes."""
    base = TicketFact.__table__  # type: ignore[attr-defined]
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False) for c in base.columns
    ]
    return Table(name, SQLModel.metadata, *columns)


# Created by migration 0017 (and by 0016 on a database new to this release).
TABLES_SINCE_0017 = [
    KpiGroupDay.__table__,  # type: ignore[attr-defined]
    _pending_twin(KpiGroupDay),
    KpiFrtVersion.__table__,  # type: ignore[attr-defined]
    _pending_twin(KpiFrtVersion),
    KpiFrtDay.__table__,  # type: ignore[attr-defined]
    _scratch("kpi_fact_was"),
    _scratch("kpi_fact_next"),
]


# Fact columns added after 0016/0017 created the tables (by 0021: business-hours handle time).
COLUMNS_SINCE_0021 = ("handle_business_seconds",)


def add_missing_fact_columns(connection: Any) -> None:
    """Add the fact columns of this release missing from ticket_fact and its scratch
    twins: migrations 0016 and 0017 fill the facts with this release's definitions, so
    they need them before 0021 would add them (each adds only what is missing)."""
    inspector = inspect(connection)
    for table in ("ticket_fact", "kpi_fact_was", "kpi_fact_next"):
        if not inspector.has_table(table):
            continue
        present = {column["name"] for column in inspector.get_columns(table)}
        for name in COLUMNS_SINCE_0021:
            if name not in present:
                connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} BIGINT")
    indexes = {index["name"] for index in inspector.get_indexes("ticket_fact")}
    if "ix_ticket_fact_handle_business" not in indexes:
        connection.exec_driver_sql(
            "CREATE INDEX ix_ticket_fact_handle_business "
            "ON ticket_fact (handle_business_seconds, resolved_at)"
        )


def reshape_sla_hour(connection: Any) -> bool:
    """Give kpi_sla_hour and its pending twin this release's shape (0024: one row per hour
    and target with four counts, not one per outcome) if they have the old one; empty,
    for the backfill that follows to fill. Returns whether they were reshaped."""
    inspector = inspect(connection)
    if not inspector.has_table("kpi_sla_hour"):
        return False
    if "kind" not in {column["name"] for column in inspector.get_columns("kpi_sla_hour")}:
        return False
    twin = SQLModel.metadata.tables["kpi_sla_hour_pending"]
    for table in (KpiSlaHour.__table__, twin):  # type: ignore[attr-defined]
        table.drop(connection, checkfirst=True)
        table.create(connection)
    return True
