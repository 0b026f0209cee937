"""ix_ticket_status carries the ticket's id on PostgreSQL.

"Past an SLA target now" (the dashboard's queue and filter) counts the live tickets that
have an unmet target due in the last 90 days. The live tickets are many (a tenth of a
million-ticket history in the benchmark), and with only (workspace_id, status) in the
index PostgreSQL fetched each one's row for its id: 38,881 pages, 150 ms. With the id
included the count reads the index alone. SQLite's indexes already end in the rowid.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The index again, with the id included on PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_ticket_status", table_name="ticket")
    op.create_index(
        "ix_ticket_status", "ticket", ["workspace_id", "status"], postgresql_include=["id"]
    )


def downgrade() -> None:
    """The index without the id."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_ticket_status", table_name="ticket")
    op.create_index("ix_ticket_status", "ticket", ["workspace_id", "status"])
