"""SLA notifications (the exactly-once outbox) and the per-ticket sweep schedule.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ticket.sla_alert_at/sla_swept_until and sla_notification."""
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("sla_alert_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("sla_swept_until", UTCDateTime(), nullable=True))
    op.create_index("ix_ticket_sla_alert_at", "ticket", ["sla_alert_at"])
    op.create_table(
        "sla_notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("cycle", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("ticket_id", "target", "level", "cycle", name="uq_sla_notification"),
    )
    op.create_index("ix_sla_notification_ticket_id", "sla_notification", ["ticket_id"])
    op.create_index("ix_sla_notification_due", "sla_notification", ["status", "next_attempt_at"])


def downgrade() -> None:
    """Drop sla_notification and the sweep columns."""
    op.drop_table("sla_notification")
    op.drop_index("ix_ticket_sla_alert_at", "ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("sla_swept_until")
        batch.drop_column("sla_alert_at")
