"""Message events are stored in an inbox before Slack is acknowledged.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create inbox_event."""
    op.create_table(
        "inbox_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_key", sa.String(64), nullable=False, unique=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_inbox_event_lease_until", "inbox_event", ["lease_until"])


def downgrade() -> None:
    """Drop inbox_event."""
    op.drop_table("inbox_event")
