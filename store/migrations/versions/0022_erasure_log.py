"""erasure_log: who erased whose text, when, and how many rows (deskbot erase, retention).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create erasure_log."""
    op.create_table(
        "erasure_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=255), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
    )
    op.create_index("ix_erasure_log_erased_at", "erasure_log", ["erased_at"])


def downgrade() -> None:
    """Drop erasure_log."""
    op.drop_index("ix_erasure_log_erased_at", table_name="erasure_log")
    op.drop_table("erasure_log")
