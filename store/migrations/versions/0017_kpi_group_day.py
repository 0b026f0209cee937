"""Per-group daily totals for KPI breakdowns (kpi_group_day), kept by triggers.

Creates the table and its pending twin (unless 0016 already did, on a database created
with this release), recomputes the KPI facts and rollups from the existing history (the
group totals with them, each one INSERT ... SELECT), and reinstalls the KPI triggers,
which now keep the totals current too (store/kpi/triggers/group_rollup.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

from store.fact_models import TABLES_SINCE_0017, add_missing_fact_columns, reshape_sla_hour
from store.kpi.triggers import fact_triggers, facts

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create, fill and wire up kpi_group_day."""
    connection = op.get_bind()
    fact_triggers.drop(connection)  # no write lands between the fill and the new triggers
    for table in TABLES_SINCE_0017:
        table.create(connection, checkfirst=True)
    add_missing_fact_columns(connection)  # this release's facts have them (0021)
    reshape_sla_hour(connection)  # the backfill below fills this release's shape (0024)
    facts.backfill(connection)
    fact_triggers.install(connection)


def downgrade() -> None:
    """Remove the table (the triggers of this release need it, so they go too)."""
    connection = op.get_bind()
    fact_triggers.drop(connection)
    for table in reversed(TABLES_SINCE_0017):
        table.drop(connection, checkfirst=True)
