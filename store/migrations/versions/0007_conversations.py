"""Conversations: merged tickets point at the surviving ticket; likely duplicates.

Also an index on (workspace_id, created_at) for the duplicate scan over recent tickets.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ticket.merged_into_id / merged_at and create ticket_duplicate."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot add a constraint later, and rebuilding `ticket` would trip over the
        # rows referencing it: the reference goes inline in a plain ADD COLUMN.
        op.execute("ALTER TABLE ticket ADD COLUMN merged_into_id INTEGER REFERENCES ticket (id)")
    else:
        op.add_column("ticket", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_ticket_merged_into", "ticket", "ticket", ["merged_into_id"], ["id"]
        )
    op.add_column("ticket", sa.Column("merged_at", UTCDateTime(), nullable=True))
    op.create_index("ix_ticket_merged_into_id", "ticket", ["merged_into_id"])
    op.create_index("ix_ticket_recent", "ticket", ["workspace_id", "created_at"])
    op.create_table(
        "ticket_duplicate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("ticket_id", "duplicate_of_id", name="uq_ticket_duplicate"),
    )
    op.create_index("ix_ticket_duplicate_ticket_id", "ticket_duplicate", ["ticket_id"])
    op.create_index("ix_ticket_duplicate_duplicate_of_id", "ticket_duplicate", ["duplicate_of_id"])


def downgrade() -> None:
    """Drop ticket_duplicate and the merge columns."""
    op.drop_table("ticket_duplicate")
    op.drop_index("ix_ticket_recent", table_name="ticket")
    op.drop_index("ix_ticket_merged_into_id", table_name="ticket")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_ticket_merged_into", "ticket", type_="foreignkey")
    op.drop_column("ticket", "merged_at")
    op.drop_column("ticket", "merged_into_id")
