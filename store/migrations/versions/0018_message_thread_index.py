"""Point lookups always take their unique index: ix_message_thread leads with thread_ts,
and on PostgreSQL uq_ticket_number with number.

With channel_id first, a lookup by channel and ts (every reply's thread, every edit, the
likely-duplicate scan's join) matched two indexes on channel_id. PostgreSQL's generic
plans, made while the table is young and its statistics empty, could pick the wrong one
and then scan the channel's every message on each lookup until the next ANALYZE. A ticket
looked up by number (`/ticket 42`) could likewise scan the workspace's tickets through
ix_ticket_recent. SQLite's planner always prefers a unique index matched in full, so its
table is not rebuilt for the second one.

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
    """Rebuild ix_message_thread as (thread_ts, channel_id), uq_ticket_number as (number, ...)."""
    op.drop_index("ix_message_thread", table_name="message")
    op.create_index("ix_message_thread", "message", ["thread_ts", "channel_id"])
    _ticket_number_columns(["number", "workspace_id"])


def downgrade() -> None:
    """Back to (channel_id, thread_ts) and (workspace_id, number)."""
    op.drop_index("ix_message_thread", table_name="message")
    op.create_index("ix_message_thread", "message", ["channel_id", "thread_ts"])
    _ticket_number_columns(["workspace_id", "number"])


def _ticket_number_columns(columns: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("uq_ticket_number", "ticket", type_="unique")
    op.create_unique_constraint("uq_ticket_number", "ticket", columns)
