"""KPIs: indexes the KPI aggregates need on large histories.

Resolved tickets, messages and SLA targets are counted by time range, and claims and
reopenings by action and time; without these each KPI answer scans the whole table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_ticket_resolved_at", "ticket", ["resolved_at"]),
    ("ix_message_sent_role", "message", ["sent_at", "role", "ticket_id", "deleted_at"]),
    ("ix_activity_action_at", "activity", ["action", "at"]),
    ("ix_activity_ticket_action", "activity", ["ticket_id", "action", "at"]),
    ("ix_sla_target_due_at", "sla_target", ["due_at"]),
)


def upgrade() -> None:
    """Create the KPI indexes."""
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop the KPI indexes."""
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
