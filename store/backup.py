"""A consistent copy of a running SQLite database, with SQLite's online backup API.

The copy is taken page by page while deskbot keeps writing (a page changed meanwhile is
copied again), so it is the database as of one moment. PostgreSQL has pg_dump for this.
"""

import sqlite3
from collections.abc import Callable
from pathlib import Path

PAGES_PER_STEP = 1024  # 4 MB with SQLite's default page size: progress, and short locks


class BackupError(Exception):
    """The backup could not be made; the message says why."""


def backup_sqlite(
    source: Path, destination: Path, *, progress: Callable[[int, int], None] | None = None
) -> int:
    """Copy the SQLite database at `source` to a new file; its size in pages.

    The copy is written beside `destination` and renamed once complete and checked.
    """
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    if destination.exists():
        raise BackupError(f"{destination} already exists: choose a new name")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)

    def step(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    try:
        reader = sqlite3.connect(source, timeout=30)  # only read: the backup API copies
        writer = sqlite3.connect(partial)
        try:
            reader.backup(writer, pages=PAGES_PER_STEP, progress=step)
            # A file of its own: no write-ahead log to carry along with it.
            writer.execute("PRAGMA journal_mode = DELETE")
            check = writer.execute("PRAGMA quick_check").fetchone()[0]
            pages = int(writer.execute("PRAGMA page_count").fetchone()[0])
        finally:
            writer.close()
            reader.close()
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        partial.rename(destination)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return pages
