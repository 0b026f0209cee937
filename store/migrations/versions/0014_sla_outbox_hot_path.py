"""Lighten the SLA outbox's hot insert: drop a redundant index and the ticket foreign key.

The sweep writes every notification through one set-based insert. Measured on PostgreSQL
(EXPLAIN ANALYZE, 5,000 rows):
- `ix_sla_notification_ticket_id` duplicated the leading column of the unique key
  `uq_sla_notification` (ticket_id, target, level, cycle), which serves the same
  lookups; it only cost an index update per row (best 109 -> 90 ms for the insert).
- The foreign key to ticket ran a per-row check trigger that also row-locks the ticket
  (FOR KEY SHARE: a WAL record and a dirtied ticket page per notification), 25-80 ms per
  5,000 rows, up to half the batch's statement. The sweep only writes notifications for
  tickets it has just read in the same transaction, and tickets are never deleted, so
  the check could never fail.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's copy of the key was created unnamed; batch mode names it by this convention.
SQLITE_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
SQLITE_FK = "fk_sla_notification_ticket_id_ticket"
PG_FK = "sla_notification_ticket_id_fkey"


def upgrade() -> None:
    """Drop ix_sla_notification_ticket_id and the foreign key to ticket."""
    op.drop_index("ix_sla_notification_ticket_id", table_name="sla_notification")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(PG_FK, "sla_notification", type_="foreignkey")
        return
    with op.batch_alter_table("sla_notification", naming_convention=SQLITE_NAMING) as batch:
        batch.drop_constraint(SQLITE_FK, type_="foreignkey")


def downgrade() -> None:
    """Recreate the foreign key and ix_sla_notification_ticket_id."""
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(PG_FK, "sla_notification", "ticket", ["ticket_id"], ["id"])
    else:
        with op.batch_alter_table("sla_notification") as batch:
            batch.create_foreign_key(SQLITE_FK, "ticket", ["ticket_id"], ["id"])
    op.create_index("ix_sla_notification_ticket_id", "sla_notification", ["ticket_id"])
