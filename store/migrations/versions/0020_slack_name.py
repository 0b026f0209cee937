"""slack_name: the names Slack gave organizations, people and channels, for offline reports.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create slack_name."""
    op.create_table(
        "slack_name",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slack_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "slack_id"),
    )


def downgrade() -> None:
    """Drop slack_name."""
    op.drop_table("slack_name")
