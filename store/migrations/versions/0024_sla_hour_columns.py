"""kpi_sla_hour: one row per hour and kind of target, with its four counts as columns.

Every SLA read (the SLA report, the dashboard's SLA days, `/kpi sla`) sums a range of the
hourly rollup. It held one row per hour, target and outcome (due, ok, late, open): a year
was some 70,000 rows, and grouping them by local day cost 100-130 ms at 1M tickets on
SQLite. With the outcomes as columns a year is a quarter of the rows and a trigger
writes one row per change, not two (1M tickets, a year by local day: 131 -> 22 ms).

The table and its pending twin are recreated in the new shape and recomputed from
sla_target; the triggers are reinstalled. Downgrading turns the rows back into one per
outcome and puts back the triggers of the release before.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.fact_models import reshape_sla_hour
from store.kpi.triggers import fact_triggers, rollup, sla_rollup
from store.types import UTCDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Reshape, recompute, rewire."""
    connection = op.get_bind()
    fact_triggers.drop(connection)  # no write lands between the fill and the new triggers
    reshape_sla_hour(connection)
    sla_rollup.rebuild(connection)
    fact_triggers.install(connection)
    connection.exec_driver_sql("ANALYZE kpi_sla_hour")  # a new table: the planner's statistics


def _old_changes(name: str, row: str, delta: int) -> list[str]:
    """The release before's trigger statements: one upsert for `due`, one for the outcome."""

    def upsert(kind: str) -> str:
        return (
            "INSERT INTO kpi_sla_hour (hour, target, kind, n) "
            f"SELECT {rollup.hour_of(name, f'{row}.due_at')}, {row}.target, {kind}, {delta} "
            f"WHERE {row}.due_at IS NOT NULL ON CONFLICT (hour, target, kind) "
            "DO UPDATE SET n = kpi_sla_hour.n + excluded.n"
        )

    return [upsert("'due'"), upsert(sla_rollup.kind_sql(row))]


def _old_columns(*, keyed: bool) -> list[sa.Column]:
    """The release before's columns: keyed for the table, plain for its pending twin."""
    return [
        sa.Column("hour", UTCDateTime(), primary_key=keyed, nullable=False),
        sa.Column("target", sa.String(32), primary_key=keyed, nullable=False),
        sa.Column("kind", sa.String(8), primary_key=keyed, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    ]


def downgrade() -> None:
    """One row per hour, target and outcome again, kept by the release before's triggers."""
    connection = op.get_bind()
    sla_rollup.drop(connection)
    op.create_table("kpi_sla_hour_v23", *_old_columns(keyed=True))
    current = rollup.summed_sql("kpi_sla_hour")  # with PostgreSQL's pending deltas
    outcomes = " UNION ALL ".join(
        f"SELECT hour, target, '{kind}' AS kind, {kind} AS n FROM c WHERE {kind} <> 0"
        for kind in sla_rollup.KINDS
    )
    connection.exec_driver_sql(
        f"WITH c AS ({current}) INSERT INTO kpi_sla_hour_v23 (hour, target, kind, n) {outcomes}"
    )
    op.drop_table("kpi_sla_hour_pending")
    op.drop_table("kpi_sla_hour")
    op.rename_table("kpi_sla_hour_v23", "kpi_sla_hour")
    op.create_table("kpi_sla_hour_pending", *_old_columns(keyed=False))
    rollup.install_counter_triggers(
        connection,
        table="sla_target",
        trigger="kpi_sla",
        function="kpi_on_sla_target",
        update_of="target, due_at, met_at",
        changes=_old_changes,
    )
