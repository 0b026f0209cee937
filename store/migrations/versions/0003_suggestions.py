"""Self-service suggestions per ticket, and learned article examples.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create suggestion and article_example."""
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("article_ids", sa.JSON(), nullable=True),
        sa.Column("top_score", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("solved_article_id", sa.String(200), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.UniqueConstraint("ticket_id"),
    )
    op.create_index("ix_suggestion_outcome", "suggestion", ["outcome"])
    op.create_index("ix_suggestion_offered_at", "suggestion", ["offered_at"])
    op.create_table(
        "article_example",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_key", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("article_id", "text_key", name="uq_article_example"),
    )
    op.create_index("ix_article_example_article_id", "article_example", ["article_id"])


def downgrade() -> None:
    """Drop suggestion and article_example."""
    op.drop_table("article_example")
    op.drop_table("suggestion")
