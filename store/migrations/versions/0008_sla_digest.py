"""SLA: the customer's wait and the resolution cycle on the ticket; the daily leads digest.

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
    """Add ticket.sla_waiting_since/sla_cycle_started_at and the daily_digest outbox."""
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("sla_waiting_since", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("sla_cycle_started_at", UTCDateTime(), nullable=True))
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
    """Drop daily_digest and the ticket columns."""
    op.drop_table("daily_digest")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("sla_cycle_started_at")
        batch.drop_column("sla_waiting_since")
