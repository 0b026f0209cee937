"""A message looked up by channel and ts, and a ticket by number, are found through their
unique index, whatever the database's statistics say.

On PostgreSQL a prepared statement runs on a generic plan once it has run a few times,
and a plan made while the tables are young (no statistics yet) stays until the next
ANALYZE. If a second index also fits such a lookup, that plan may scan the channel's
every message on each reply, edit and new ticket. The plans are checked as PostgreSQL
makes them with empty statistics and generic plans forced; on SQLite as it plans them.
"""

import re
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Executable

from store.conversations import RECENT_OPEN
from store.messages import MESSAGE_AT
from store.tickets import TICKET_NUMBERED

# lookup: (statement, its parameters, the unique index, its columns in SQLite's plan)
LOOKUPS: dict[str, tuple[Executable, dict[str, Any], str, str]] = {
    "message by channel and ts": (
        MESSAGE_AT,
        {"channel_id": "C1", "ts": "1.000100"},
        "uq_message_ts",
        "channel_id=? AND ts=?",
    ),
    "ticket by number": (
        TICKET_NUMBERED,
        {"workspace_id": "T1", "number": 42},
        "uq_ticket_number",
        "workspace_id=? AND number=?",
    ),
    "likely-duplicate candidates": (
        RECENT_OPEN,
        {
            "workspace_id": "T1",
            "since": "2026-01-01",
            "before": "2026-01-08",
            "exclude_id": 1,
            "limit": 500,
            "max_chars": 500,
            "per_ticket": 5,
        },
        # each candidate's opening messages, found by its ticket id, never a channel scan
        "ix_message_ticket_id",
        "ticket_id=?",
    ),
}


def plan(connection: Connection, statement: Executable, params: dict[str, Any]) -> str:
    """The plan the database uses for `statement`, as text."""
    compiled = statement.compile(dialect=connection.dialect)  # type: ignore[attr-defined]
    expanded = compiled.construct_expanded_state(params)  # IN (...) as one value each
    sql, values = expanded.statement, expanded.parameters
    names = list(expanded.positiontup or values)
    if connection.dialect.name == "sqlite":
        arguments = tuple(values[name] for name in names)
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", arguments)
        return "\n".join(str(row[-1]) for row in rows)
    order = re.findall(r"%\((\w+)\)s", sql)
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${order.index(m.group(1)) + 1}", sql)
    connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    connection.exec_driver_sql(f"PREPARE lookup AS {numbered}")
    arguments = ", ".join(_literal(values[name]) for name in order)
    rows = connection.exec_driver_sql(f"EXPLAIN EXECUTE lookup({arguments})")
    connection.exec_driver_sql("DEALLOCATE lookup")
    return "\n".join(row[0] for row in rows)


def forget_statistics(connection: Connection, tables: list[str]) -> None:
    """Make PostgreSQL plan as on a new install: no statistics (until rolled back)."""
    for table in tables:
        oid = {"table": table}
        connection.execute(
            text("DELETE FROM pg_statistic WHERE starelid = CAST(:table AS regclass)"), oid
        )
        connection.execute(
            text(
                "UPDATE pg_class SET reltuples = -1, relpages = 0 "
                "WHERE oid = CAST(:table AS regclass)"
            ),
            oid,
        )


def _literal(value: Any) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_point_lookups_use_their_unique_index(db: Engine, lookup: str) -> None:
    statement, params, index, columns = LOOKUPS[lookup]
    with db.connect() as connection:
        transaction = connection.begin()
        if connection.dialect.name == "postgresql":
            forget_statistics(connection, ["message", "ticket"])
        chosen = plan(connection, statement, params)
        transaction.rollback()  # the statistics come back with it
    if db.dialect.name == "postgresql":
        assert f"using {index} on" in chosen, chosen
    else:
        assert re.search(rf"INDEX \w+ \({re.escape(columns)}\)", chosen), chosen
