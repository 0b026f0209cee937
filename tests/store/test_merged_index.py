"""The tickets merged into one are found by index, whatever the planner's statistics say."""

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
