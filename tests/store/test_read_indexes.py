"""Indexes the dashboard's reads rely on at a million tickets, checked where they are used."""

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from store.models import Ticket
from tests.support import kpi_dataset


def test_merged_into_lookup_uses_the_partial_index_after_analyze(db):
    """Over mostly-NULL merged_into_id, SQLite's ANALYZE counted the NULLs as one value
    matching every row, and the ticket page's lookup scanned the whole table."""
    if db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's statistics keep a NULL fraction")
    kpi_dataset.load(db)
    lookup = select(col(Ticket.number)).where(col(Ticket.merged_into_id) == 1)
    lookup = lookup.order_by(col(Ticket.number))  # as the ticket page asks
    sql = str(lookup.compile(db, compile_kwargs={"literal_binds": True}))
    with db.begin() as connection:
        connection.execute(text("ANALYZE"))
        plan = " ".join(str(row) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_ticket_merged_into_id" in plan, plan


def test_live_tickets_are_counted_from_the_status_index_alone_on_postgresql(db):
    """ "Past an SLA target now" counts live tickets by id: the index carries it (0026)."""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite's indexes end in the rowid already")
    with db.connect() as connection:
        definition = connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_ticket_status'")
        ).scalar_one()
    assert definition.endswith("(workspace_id, status) INCLUDE (id)"), definition
