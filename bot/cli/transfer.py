"""`deskbot export FILE`, `deskbot import FILE` and `deskbot backup DEST`.

Export reads a current database (it never creates or migrates one); import loads into
the empty database DATABASE_URL names; backup copies a SQLite database while deskbot
runs. Progress goes to stderr, the result to stdout, a failure is one line on stderr.
"""

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings


def add_transfer_parsers(commands: Any) -> None:
    """Register `export`, `import` and `backup`."""
    export = commands.add_parser(
        "export",
        help="write the whole database to one file (for deskbot import)",
        description="Write every table of the database at DATABASE_URL to FILE (gzip'd "
        "JSON lines with a row count and checksum per table, and the schema revision). "
        "Reads one consistent snapshot; deskbot may keep running.",
    )
    export.add_argument("file", type=Path, metavar="FILE", help="the file to write (new)")
    load = commands.add_parser(
        "import",
        help="load an export FILE into the empty database at DATABASE_URL",
        description="Create the schema in the empty database at DATABASE_URL (SQLite or "
        "PostgreSQL) and load FILE into it, then check every table's row count and "
        "checksum against the file. All in one transaction: on any difference nothing "
        "is kept.",
    )
    load.add_argument("file", type=Path, metavar="FILE", help="a file written by deskbot export")
    backup = commands.add_parser(
        "backup",
        help="copy the SQLite database while deskbot runs (PostgreSQL: pg_dump)",
        description="Copy the SQLite database at DATABASE_URL to DEST with SQLite's online "
        "backup API: a consistent copy, taken while deskbot keeps running. For PostgreSQL "
        "use pg_dump (docs/admin-guide.md, Backups).",
    )
    backup.add_argument("dest", type=Path, metavar="DEST", help="the backup file to write (new)")


VERBS = {"export": "exported", "check": "checked", "load": "loaded", "verify": "verified"}


class ProgressLines:
    """Progress on stderr: a line per table with rows, and every 10,000 rows of big ones."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, stage: str, table: str, done: int, total: int) -> None:
        """Report `done` of `total` rows of a table at a stage."""
        if done == 0:
            return
        of = f"/{total}" if total and done < total else ""
        print(f"  {VERBS.get(stage, stage)} {table}: {done}{of} rows", file=self.stream)
        self.stream.flush()


def run_export(settings: Settings, args: argparse.Namespace, *, err: TextIO | None = None) -> int:
    """`deskbot export FILE`."""
    from bot.cli.database import NoDatabase, open_existing
    from bot.cli.run import safe_url
    from store.transfer import TransferError, export_database

    err = err or sys.stderr
    path: Path = args.file
    if path.exists():
        return _fail(err, f"{path} already exists: choose a new name")
    try:
        engine = open_existing(settings.database_url)
    except NoDatabase as error:
        return _fail(err, str(error))
    try:
        print(f"exporting {safe_url(settings.database_url)} to {path}", file=err)
        written = export_database(engine, path, progress=ProgressLines(err))
    except (TransferError, OSError) as error:
        return _fail(err, f"export: {error}")
    finally:
        engine.dispose()
    print(f"exported {sum(written.values())} rows of {len(written)} tables to {path}")
    return 0


def run_import(settings: Settings, args: argparse.Namespace, *, err: TextIO | None = None) -> int:
    """`deskbot import FILE`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot.cli.run import safe_url
    from store.db import make_engine, normalise_url
    from store.transfer import TransferError, import_database

    err = err or sys.stderr
    path: Path = args.file
    if not path.is_file():
        return _fail(err, f"no such file: {path}")
    url = normalise_url(settings.database_url)
    where = safe_url(url)
    parsed = make_url(url)
    new_file = None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        database = Path(parsed.database or "")
        new_file = None if database.exists() else database
    engine = make_engine(url)
    print(f"importing {path} into {where}", file=err)
    try:
        loaded = import_database(engine, path, progress=ProgressLines(err))
    except (TransferError, SQLAlchemyError) as error:
        engine.dispose()
        if new_file is not None:  # the failed import made the file: leave nothing behind
            for leftover in (new_file, Path(f"{new_file}-wal"), Path(f"{new_file}-shm")):
                leftover.unlink(missing_ok=True)
        if isinstance(error, SQLAlchemyError):
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            return _fail(err, f"import: cannot use the database at {where}: {reason}")
        return _fail(err, f"import: {error}")
    engine.dispose()
    print(
        f"imported {sum(loaded.values())} rows of {len(loaded)} tables into {where}; "
        "every table's row count and checksum match the file"
    )
    return 0


def run_backup(settings: Settings, args: argparse.Namespace, *, err: TextIO | None = None) -> int:
    """`deskbot backup DEST`."""
    from sqlalchemy.engine import make_url

    from bot.cli.run import safe_url
    from store.backup import BackupError, backup_sqlite
    from store.db import normalise_url

    err = err or sys.stderr
    parsed = make_url(normalise_url(settings.database_url))
    if parsed.get_backend_name() != "sqlite":
        return _fail(
            err,
            f"backup copies SQLite databases; for {safe_url(settings.database_url)} use "
            'pg_dump, e.g. pg_dump --format=custom --file=deskbot.dump "$DATABASE_URL" '
            "(docs/admin-guide.md, Backups)",
        )

    def show(done: int, total: int) -> None:
        print(f"  copied {done}/{total} pages", file=err, flush=True)

    try:
        pages = backup_sqlite(Path(parsed.database or ""), args.dest, progress=show)
    except BackupError as error:
        return _fail(err, f"backup: {error}")
    print(f"backed up {parsed.database} to {args.dest} ({pages} pages, integrity checked)")
    return 0


def _fail(err: TextIO, message: str) -> int:
    print(f"deskbot: {message}", file=err)
    return 2
