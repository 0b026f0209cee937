"""ix_message_thread leads with thread_ts, so point lookups always take uq_message_ts.

With channel_id first, a lookup by channel and ts (every reply's thread, every edit, the
likely-duplicate scan's join) matched two indexes on channel_id. PostgreSQL's generic
plans, made while the table is young and its statistics empty, could pick the wrong one
and then scan the channel's every message on each lookup until the next ANALYZE.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Rebuild ix_message_thread as (thread_ts, channel_id)."""
    op.drop_index("ix_message_thread", table_name="message")
    op.create_index("ix_message_thread", "message", ["thread_ts", "channel_id"])


def downgrade() -> None:
    """Back to (channel_id, thread_ts)."""
    op.drop_index("ix_message_thread", table_name="message")
    op.create_index("ix_message_thread", "message", ["channel_id", "thread_ts"])
