"""Routing: agent availability, round-robin cursors and claim timeouts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create agent_away, routing_cursor and ticket_claim."""
    op.create_table(
        "agent_away",
        sa.Column("workspace_id", sa.String(32), primary_key=True),
        sa.Column("agent_id", sa.String(32), primary_key=True),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "routing_cursor",
        sa.Column("workspace_id", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(32), primary_key=True),
        sa.Column("last_agent_id", sa.String(32), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "ticket_claim",
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("ticket.id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("agent_id", sa.String(32), nullable=False),
        sa.Column("how", sa.String(16), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_ticket_claim_due_at", "ticket_claim", ["due_at"])


def downgrade() -> None:
    """Drop the routing tables."""
    op.drop_index("ix_ticket_claim_due_at", table_name="ticket_claim")
    op.drop_table("ticket_claim")
    op.drop_table("routing_cursor")
    op.drop_table("agent_away")
