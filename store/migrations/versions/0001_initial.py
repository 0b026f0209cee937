"""Initial schema: tickets, messages with history, activity, intake keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def upgrade() -> None:
    """Create the intake tables."""
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "ticket_counter",
        sa.Column("workspace_id", sa.String(32), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.create_table(
        "ticket",
        _id(),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("root_ts", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(32), nullable=False),
        sa.Column("customer_team_id", sa.String(32), nullable=False),
        sa.Column("is_external", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("first_responder_id", sa.String(32), nullable=True),
        sa.Column("last_customer_message_at", UTCDateTime(), nullable=True),
        sa.Column("last_agent_message_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("permalink", sa.Text(), nullable=True),
        sa.Column("triage_channel_id", sa.String(32), nullable=True),
        sa.Column("triage_ts", sa.String(32), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel_id", "root_ts", name="uq_ticket_thread"),
        sa.UniqueConstraint("workspace_id", "number", name="uq_ticket_number"),
    )
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])
    op.create_index("ix_ticket_customer_team_id", "ticket", ["customer_team_id"])
    op.create_index("ix_ticket_status", "ticket", ["workspace_id", "status"])
    op.create_table(
        "message",
        _id(),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_team_id", sa.String(32), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("subtype", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.UniqueConstraint("channel_id", "ts", name="uq_message_ts"),
    )
    op.create_index("ix_message_thread", "message", ["channel_id", "thread_ts"])
    op.create_index("ix_message_ticket_id", "message", ["ticket_id"])
    op.create_table(
        "message_revision",
        _id(),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=True),
        sa.Column("replaced_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_message_revision_message_id", "message_revision", ["message_id"])
    op.create_table(
        "activity",
        _id(),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_activity_ticket_id", "activity", ["ticket_id"])


def downgrade() -> None:
    """Drop the intake tables."""
    for table in (
        "activity",
        "message_revision",
        "message",
        "ticket",
        "ticket_counter",
        "processed_event",
    ):
        op.drop_table(table)
