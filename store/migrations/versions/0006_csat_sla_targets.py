"""CSAT surveys, and SLA targets kept after they are met (for breach KPIs).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create csat_survey and sla_target."""
    op.create_table(
        "csat_survey",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("customer_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("ticket_id"),
    )
    op.create_index("ix_csat_survey_asked_at", "csat_survey", ["asked_at"])
    op.create_table(
        "sla_target",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("cycle", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(100), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("met_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("ticket_id", "target", "cycle", name="uq_sla_target"),
    )
    op.create_index("ix_sla_target_ticket_id", "sla_target", ["ticket_id"])
    op.create_index("ix_sla_target_due", "sla_target", ["target", "due_at"])


def downgrade() -> None:
    """Drop csat_survey and sla_target."""
    op.drop_table("sla_target")
    op.drop_index("ix_csat_survey_asked_at", table_name="csat_survey")
    op.drop_table("csat_survey")
