"""SLA due times on tickets, and pauses while waiting on the customer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE_COLUMNS = ("first_response_due_at", "next_response_due_at", "resolution_due_at")


def upgrade() -> None:
    """Add the due-time columns (indexed for the sweep) and ticket_pause."""
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("sla_policy", sa.String(100), nullable=True))
        for column in DUE_COLUMNS:
            batch.add_column(sa.Column(column, UTCDateTime(), nullable=True))
    for column in DUE_COLUMNS:
        op.create_index(f"ix_ticket_{column}", "ticket", [column])
    op.create_table(
        "ticket_pause",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_ticket_pause_ticket_id", "ticket_pause", ["ticket_id"])


def downgrade() -> None:
    """Drop ticket_pause and the due-time columns."""
    op.drop_table("ticket_pause")
    for column in DUE_COLUMNS:
        op.drop_index(f"ix_ticket_{column}", "ticket")
    with op.batch_alter_table("ticket") as batch:
        for column in (*DUE_COLUMNS, "sla_policy"):
            batch.drop_column(column)
