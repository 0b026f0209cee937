"""Load an export file into an empty database, in one transaction, checked before commit.

The file is read twice: first to check every table's row count and checksum (a damaged
file is refused before the database is touched), then to load it. Creating the schema,
loading every table and reading every table back to compare its count and checksum with
the file's are one transaction: any difference rolls all of it back.

The KPI triggers are off while rows go in (their tables are loaded as they were
exported: adding the same rows through the triggers would count them twice), and on
again before the commit.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Integer, Table, bindparam, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from store.db import alembic_config
from store.transfer import tables
from store.transfer.codec import Checksum, Manifest, TableSection, TransferError, read, row_line

Progress = Callable[[str, str, int, int], None]  # stage, table, rows done, rows in the table
PROGRESS_EVERY = 10_000


def _quiet(_stage: str, _table: str, _done: int, _total: int) -> None:
    return None


def check_file(path: Path, *, progress: Progress = _quiet) -> Manifest:
    """Read a whole export file, checking its structure, counts and checksums."""
    manifest: Manifest | None = None
    done, name = 0, ""
    for kind, value in read(path):
        if kind == "revision":
            manifest = Manifest(revision=value)
        elif kind == "row":
            done += 1
            if done % PROGRESS_EVERY == 0:
                progress("check", name, done, 0)
        elif kind == "table":
            done, name = 0, value.name
        elif kind == "end":
            assert manifest is not None
            manifest.tables[value.name] = value
            progress("check", value.name, value.rows, value.rows)
    assert manifest is not None
    return manifest


def _check_schema(manifest: Manifest, head: str | None, path: Path) -> None:
    """The file must hold exactly this deskbot's tables and columns."""
    if manifest.revision != head:
        raise TransferError(
            f"{path} was exported at schema revision {manifest.revision}; this deskbot is at "
            f"{head}. Import it with the deskbot version that exported it, then upgrade "
            "with `deskbot migrate`"
        )
    expected = {table.name: tables.columns(table) for table in tables.tables()}
    missing = sorted(set(expected) - set(manifest.tables))
    unknown = sorted(set(manifest.tables) - set(expected))
    if missing or unknown:
        raise TransferError(
            f"{path}: tables missing from the file: {', '.join(missing) or 'none'}; "
            f"tables this deskbot does not know: {', '.join(unknown) or 'none'}"
        )
    if list(manifest.tables) != list(expected):  # rows are loaded in the file's order
        raise TransferError(f"{path}: the tables are not in dependency order")
    for name, columns in expected.items():
        if manifest.tables[name].columns != columns:
            raise TransferError(f"{path}: table {name} has other columns than this deskbot's")


def import_database(engine: Engine, path: Path, *, progress: Progress = _quiet) -> dict[str, int]:
    """Load an export into the empty database of `engine`; rows loaded per table.

    TransferError (and nothing changed) when the file is damaged or from another schema
    revision, the database is not empty, or what was loaded differs from the file.
    """
    with engine.connect() as connection:  # at once, before reading a big file
        _require_empty(connection)
    manifest = check_file(path, progress=progress)
    config = alembic_config(engine)
    _check_schema(manifest, ScriptDirectory.from_config(config).get_current_head(), path)
    with engine.begin() as connection:
        _require_empty(connection)  # again: nobody wrote meanwhile
        config.attributes["connection"] = connection  # the schema is part of this transaction
        command.upgrade(config, "head")
        with _triggers_off(connection):
            _load(connection, path, manifest, progress)
        _verify(connection, manifest, progress)
        _reset_sequences(connection)  # last: PostgreSQL's setval is never rolled back
    return {name: section.rows for name, section in manifest.tables.items()}


def _require_empty(connection: Connection) -> None:
    """Refuse a database that holds anything: an import never merges."""
    found = set(inspect(connection).get_table_names())
    if found and "alembic_version" not in found:
        shown = ", ".join(sorted(found)[:5])
        raise TransferError(f"the target database holds tables that are not deskbot's ({shown})")
    found.discard("alembic_version")
    holding = [
        name
        for name in sorted(found)
        if connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None
    ]
    if holding:
        raise TransferError(
            f"the target database is not empty ({', '.join(holding[:5])} hold rows): "
            "import loads only into an empty database"
        )


@contextmanager
def _triggers_off(connection: Connection) -> Iterator[None]:
    """No trigger fires while rows are loaded: the KPI tables come from the file as they are."""
    if connection.dialect.name == "postgresql":
        names = [table.name for table in tables.tables()]
        for name in names:
            connection.exec_driver_sql(f'ALTER TABLE "{name}" DISABLE TRIGGER USER')
        yield
        for name in names:
            connection.exec_driver_sql(f'ALTER TABLE "{name}" ENABLE TRIGGER USER')
        return
    # SQLite cannot switch a trigger off; dropping and recreating them inside this
    # transaction is the same, and a rollback brings them back.
    saved = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    ).all()
    for name, _ in saved:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in saved:
        connection.exec_driver_sql(sql)


def _load(connection: Connection, path: Path, manifest: Manifest, progress: Progress) -> None:
    by_name = {table.name: table for table in tables.tables()}
    loader: _TableLoader | None = None
    for kind, value in read(path):
        if kind == "table":
            loader = _TableLoader(connection, by_name[value.name], manifest.tables[value.name])
            progress("load", value.name, 0, loader.total)
        elif kind == "row":
            assert loader is not None
            loader.add(value, progress)
        elif kind == "end":
            assert loader is not None
            loader.finish(progress)


class _TableLoader:
    """Inserts one table's rows in batches; columns that refer to the same table (a merged
    ticket's survivor may come later) are set in a second pass."""

    def __init__(self, connection: Connection, table: Table, section: TableSection) -> None:
        self.connection, self.table, self.total = connection, table, section.rows
        self.names = [name for name, _ in section.columns]
        self.later = [column.name for column in tables.self_references(table)]
        self.keys = [column.name for column in table.primary_key.columns]
        self.batch: list[dict[str, Any]] = []
        self.updates: dict[str, list[dict[str, Any]]] = {name: [] for name in self.later}
        self.done = 0

    def add(self, values: list[Any], progress: Progress) -> None:
        """Queue one row; insert the batch when it is full."""
        row = dict(zip(self.names, values, strict=True))
        for name in self.later:
            if row[name] is not None:
                key = {f"k_{k}": row[k] for k in self.keys}
                self.updates[name].append({**key, "v": row[name]})
                row[name] = None
        self.batch.append(row)
        self.done += 1
        if len(self.batch) >= tables.BATCH:
            self._flush()
            if self.done % PROGRESS_EVERY == 0:
                progress("load", self.table.name, self.done, self.total)

    def _flush(self) -> None:
        if not self.batch:
            return
        try:
            self.connection.execute(self.table.insert(), self.batch)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise TransferError(
                f"table {self.table.name}: the database refused a row ({reason}); "
                "nothing was imported"
            ) from None
        self.batch = []

    def finish(self, progress: Progress) -> None:
        """Insert what is left, then the self-references."""
        self._flush()
        for name, updates in self.updates.items():
            if not updates:
                continue
            where = [self.table.c[k] == bindparam(f"k_{k}") for k in self.keys]
            statement = self.table.update().where(*where).values({name: bindparam("v")})
            self.connection.execute(statement, updates)
        progress("load", self.table.name, self.done, self.total)


def _verify(connection: Connection, manifest: Manifest, progress: Progress) -> None:
    """Read every table back: its count and checksum must be the file's."""
    for table in tables.tables():
        expected = manifest.tables[table.name]
        kinds = [kind for _, kind in expected.columns]
        check = Checksum()
        for row in tables.rows(connection, table):
            check.add(row_line(kinds, row))
        if (check.rows, check.hexdigest) != (expected.rows, expected.sha256):
            raise TransferError(
                f"table {table.name}: the database holds {check.rows} rows (checksum "
                f"{check.hexdigest[:12]}…) after loading {expected.rows} rows (checksum "
                f"{expected.sha256[:12]}…); nothing was imported"
            )
        progress("verify", table.name, check.rows, expected.rows)


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL: the next id of each table follows the largest loaded one."""
    if connection.dialect.name != "postgresql":
        return  # SQLite's next rowid is always the largest plus one
    for table in tables.tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        name, column = table.name, keys[0].name
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{name}"'
            ),
            {"table": name, "column": column},
        )
