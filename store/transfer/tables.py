"""Which tables move, in which order, and their rows in one order both databases agree on.

Every table of the SQLModel metadata moves, parents before children. The KPI counters
move folded: on PostgreSQL their triggers append deltas to `<table>_pending` twins
(store/kpi/triggers/README.md), so a counter is read as its rows plus its pending deltas,
and the twins as empty. The rows then mean the same on SQLite, whose readers never look
at a twin, and an import never counts a delta twice. A counter row whose values are all
zero (a count that went up and down again) counts nothing and does not move: SQLite keeps
such rows where PostgreSQL folds them away, and the file must not depend on which.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Column,
    String,
    Table,
    cast,
    create_engine,
    event,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Select
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers every table on the metadata)
from store.kpi.triggers.rollup import COUNTERS
from store.transfer.codec import column_kind

PENDING_SUFFIX = "_pending"
BATCH = 2000


def tables() -> list[Table]:
    """Every table deskbot keeps, parents before the tables that refer to them."""
    return list(SQLModel.metadata.sorted_tables)


def columns(table: Table) -> list[tuple[str, str]]:
    """(name, kind) of a table's columns, in the table's order."""
    return [(column.name, column_kind(column)) for column in table.columns]


def is_pending_twin(table: Table) -> bool:
    """Whether a table holds a KPI counter's unfolded deltas (exported inside the counter)."""
    return table.name.endswith(PENDING_SUFFIX) and table.name[: -len(PENDING_SUFFIX)] in COUNTERS


def _ordered(connection: Connection, column: Any) -> Any:
    """A sort key that orders text by its bytes on both databases (SQLite's BINARY)."""
    if connection.dialect.name == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column


def _statement(connection: Connection, table: Table) -> Select[Any] | None:
    if is_pending_twin(table):
        return None
    if table.name in COUNTERS:
        return _folded(connection, table)
    keys = list(table.primary_key.columns)
    if keys:
        return select(table).order_by(*(_ordered(connection, c) for c in keys))
    every = (_ordered(connection, c).asc().nulls_first() for c in table.columns)
    return select(table).order_by(*every)


def _folded(connection: Connection, table: Table) -> Select[Any]:
    """A counter's rows with its pending deltas added: what a fold would leave."""
    keys = COUNTERS[table.name][0].split(", ")
    twin = table.metadata.tables[table.name + PENDING_SUFFIX]
    names = [column.name for column in table.columns]
    both = union_all(
        select(*(table.c[n] for n in names)), select(*(twin.c[n] for n in names))
    ).subquery()
    picked: list[Any] = [
        both.c[n] if n in keys else cast(func.sum(both.c[n]), table.c[n].type).label(n)
        for n in names
    ]
    counted = or_(*(func.sum(both.c[n]) != 0 for n in names if n not in keys))
    return (
        select(*picked)
        .group_by(*(both.c[k] for k in keys))
        .having(counted)
        .order_by(*(_ordered(connection, both.c[k]) for k in keys))
    )


def rows(connection: Connection, table: Table) -> Iterator[tuple[Any, ...]]:
    """A table's rows in their export order (a counter folded, a pending twin empty)."""
    statement = _statement(connection, table)
    if statement is None:
        return
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(statement)
    for row in result:
        yield tuple(row)


def count(connection: Connection, table: Table) -> int:
    """How many rows `rows` yields for a table (for progress)."""
    statement = _statement(connection, table)
    if statement is None:
        return 0
    counted = select(func.count()).select_from(statement.subquery())
    return int(connection.execute(counted).scalar_one())


def self_references(table: Table) -> list[Column[Any]]:
    """Columns of a table that refer to the table itself (loaded in a second pass)."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table is table]


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one consistent state of the whole database and
    does not stop writers (deskbot may keep running during an export)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield connection
        return
    # deskbot's own SQLite engine begins every transaction as a writer (BEGIN IMMEDIATE);
    # a plain deferred BEGIN in WAL mode reads one snapshot and lets writers go on.
    reader = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(reader, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(reader, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    try:
        with reader.connect() as connection, connection.begin():
            yield connection
    finally:
        reader.dispose()
