"""SLA: the customer's wait and resolution cycle on the ticket, the sweep schedule in a
narrow table of its own, and the daily leads digest.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the ticket's SLA wait columns, move the sweep schedule to sla_schedule, and
    create the daily_digest outbox."""
    op.create_table(
        "sla_schedule",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), primary_key=True),
        sa.Column("alert_at", UTCDateTime(), nullable=True),
        sa.Column("swept_until", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_sla_schedule_alert_at", "sla_schedule", ["alert_at"])
    op.execute(
        "INSERT INTO sla_schedule (ticket_id, alert_at, swept_until) "
        "SELECT id, sla_alert_at, sla_swept_until FROM ticket "
        "WHERE sla_alert_at IS NOT NULL OR sla_swept_until IS NOT NULL"
    )
    op.drop_index("ix_ticket_sla_alert_at", "ticket")
    # Plain ALTER TABLE (SQLite 3.35+ drops columns in place): a batch copy of `ticket`
    # would trip over every row that references a ticket.
    for column in ("sla_alert_at", "sla_swept_until"):
        op.drop_column("ticket", column)
    for column in ("sla_waiting_since", "sla_cycle_started_at"):
        op.add_column("ticket", sa.Column(column, UTCDateTime(), nullable=True))
    op.create_table(
        "daily_digest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("day"),
    )
    op.create_index("ix_daily_digest_due", "daily_digest", ["status", "next_attempt_at"])


def downgrade() -> None:
    """Drop daily_digest and the wait columns; move the schedule back onto the ticket."""
    op.drop_table("daily_digest")
    for column in ("sla_cycle_started_at", "sla_waiting_since"):
        op.drop_column("ticket", column)
    for column in ("sla_alert_at", "sla_swept_until"):
        op.add_column("ticket", sa.Column(column, UTCDateTime(), nullable=True))
    op.create_index("ix_ticket_sla_alert_at", "ticket", ["sla_alert_at"])
    op.execute(
        "UPDATE ticket SET sla_alert_at = (SELECT alert_at FROM sla_schedule "
        "WHERE sla_schedule.ticket_id = ticket.id), sla_swept_until = (SELECT swept_until "
        "FROM sla_schedule WHERE sla_schedule.ticket_id = ticket.id)"
    )
    op.drop_table("sla_schedule")
