"""Finishing tickets whose follow-up a crash cut short: a lease column on ticket.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ticket.followup_lease_until."""
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("followup_lease_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Drop ticket.followup_lease_until."""
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("followup_lease_until")
