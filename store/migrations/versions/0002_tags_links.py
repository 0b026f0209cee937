"""Ticket type tags and links to other trackers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ticket_tag and ticket_link."""
    op.create_table(
        "ticket_tag",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.UniqueConstraint("ticket_id", "tag", name="uq_ticket_tag"),
    )
    op.create_index("ix_ticket_tag_ticket_id", "ticket_tag", ["ticket_id"])
    op.create_index("ix_ticket_tag_tag", "ticket_tag", ["tag"])
    op.create_table(
        "ticket_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("ref", sa.String(500), nullable=False),
        sa.UniqueConstraint("ticket_id", "ref", name="uq_ticket_link"),
    )
    op.create_index("ix_ticket_link_ticket_id", "ticket_link", ["ticket_id"])
    op.create_index("ix_ticket_link_ref", "ticket_link", ["ref"])


def downgrade() -> None:
    """Drop ticket_tag and ticket_link."""
    op.drop_table("ticket_link")
    op.drop_table("ticket_tag")
