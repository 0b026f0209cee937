"""KPIs read from tables designed for reading: ticket_fact and rollups.

Creates both tables (and kpi_open_day, the team's opening hours that business-hours
first response times are counted with: filled by the KPI service from the config, which
then recomputes that column), fills them from the existing history (one INSERT ... SELECT each,
so an existing database is migrated in place) and installs the triggers that keep them
current on every later write (store/kpi/triggers/fact_triggers.py).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.fact_models import PENDING, TABLES_SINCE_0017, KpiSlaHour, add_missing_fact_columns
from store.kpi.triggers import fact_triggers, facts
from store.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create, backfill and wire up ticket_fact and kpi_hour."""
    op.create_table(
        "ticket_fact",
        sa.Column("ticket_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("customer_team_id", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.String(32), nullable=True),
        sa.Column("first_responder_id", sa.String(32), nullable=True),
        sa.Column("frt_seconds", sa.BigInteger(), nullable=True),
        sa.Column("frt_business_seconds", sa.BigInteger(), nullable=True),
        sa.Column("resolution_seconds", sa.BigInteger(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("agent_replies", sa.Integer(), nullable=False),
        sa.Column("handle_seconds", sa.BigInteger(), nullable=True),
        sa.Column("suggestion", sa.String(16), nullable=True),
        sa.Column("solved_article_id", sa.String(200), nullable=True),
    )
    op.create_index("ix_ticket_fact_created", "ticket_fact", ["created_at", "frt_seconds"])
    op.create_index("ix_ticket_fact_resolved", "ticket_fact", ["resolved_at", "resolution_seconds"])
    for name, columns in (
        ("ix_ticket_fact_frt", ["frt_seconds", "created_at"]),
        ("ix_ticket_fact_frt_business", ["frt_business_seconds", "created_at"]),
        ("ix_ticket_fact_resolution", ["resolution_seconds", "resolved_at"]),
        ("ix_ticket_fact_handle", ["handle_seconds", "resolved_at"]),
        ("ix_ticket_fact_suggestion", ["suggestion", "created_at", "solved_article_id"]),
    ):
        op.create_index(name, "ticket_fact", columns)
    op.create_table(
        "kpi_day",
        sa.Column("metric", sa.String(16), primary_key=True),
        sa.Column("day", UTCDateTime(), primary_key=True),
        sa.Column("bucket", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "kpi_hour",
        sa.Column("hour", UTCDateTime(), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "kpi_tag_day",
        sa.Column("day", UTCDateTime(), primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "kpi_open_day",
        sa.Column("day_start", UTCDateTime(), primary_key=True),
        sa.Column("opens", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("before", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "kpi_calendar",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("first_day", UTCDateTime(), nullable=False),
        sa.Column("last_day", UTCDateTime(), nullable=False),
    )
    for twin in PENDING:  # where PostgreSQL triggers append counter deltas (rollup.live)
        op.create_table(
            twin.name, *(sa.Column(c.name, c.type, nullable=False) for c in twin.columns)
        )
    connection = op.get_bind()
    # This release's shape (0024 reshapes it on a database that ran an earlier 0016).
    KpiSlaHour.__table__.create(connection)  # type: ignore[attr-defined]
    # The triggers installed below are this release's, which also keep the per-group
    # totals (0017 adds those tables to databases that ran an earlier 0016).
    for table in TABLES_SINCE_0017:
        table.create(connection, checkfirst=True)
    add_missing_fact_columns(connection)  # this release's facts have them (0021)
    facts.backfill(connection)
    fact_triggers.install(connection)


def downgrade() -> None:
    """Remove the triggers and both tables."""
    fact_triggers.drop(op.get_bind())
    for table in reversed(TABLES_SINCE_0017):
        table.drop(op.get_bind(), checkfirst=True)
    for twin in PENDING:
        op.drop_table(twin.name)
    op.drop_table("kpi_calendar")
    op.drop_table("kpi_open_day")
    op.drop_table("kpi_sla_hour")
    op.drop_table("kpi_tag_day")
    op.drop_table("kpi_hour")
    op.drop_table("kpi_day")
    op.drop_table("ticket_fact")
