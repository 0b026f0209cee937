"""Write the whole database to one export file, from one consistent snapshot."""

import os
from collections.abc import Callable
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from store.transfer import tables
from store.transfer.codec import TransferError, Writer

Progress = Callable[[str, str, int, int], None]  # stage, table, rows done, rows in the table
PROGRESS_EVERY = 10_000


def _quiet(_stage: str, _table: str, _done: int, _total: int) -> None:
    return None


def export_database(engine: Engine, path: Path, *, progress: Progress = _quiet) -> dict[str, int]:
    """Write every table to `path` (replaced only once complete); rows written per table."""
    partial = path.with_name(path.name + ".partial")
    written: dict[str, int] = {}
    try:
        with tables.snapshot(engine) as connection, partial.open("wb") as stream:
            revision = MigrationContext.configure(connection).get_current_revision()
            if revision is None:
                raise TransferError("the database has no deskbot schema: nothing to export")
            every = tables.tables()
            writer = Writer(stream, revision=revision, tables=[t.name for t in every])
            for table in every:
                total = tables.count(connection, table)
                progress("export", table.name, 0, total)
                writer.start(table.name, tables.columns(table))
                done = 0
                for row in tables.rows(connection, table):
                    writer.row(row)
                    done += 1
                    if done % PROGRESS_EVERY == 0:
                        progress("export", table.name, done, total)
                written[table.name] = writer.end(table.name).rows
                if done % PROGRESS_EVERY:
                    progress("export", table.name, done, total)
            writer.close()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return written
