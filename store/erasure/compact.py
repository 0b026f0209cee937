"""Making the database files forget erased bytes, after the erasure has committed."""

import sqlite3

from sqlalchemy.engine import Engine

# The tables whose rows an erasure rewrites (PostgreSQL keeps old row versions until VACUUM).
REWRITTEN = (
    "message", "message_revision", "held_change", "ticket", "suggestion", "csat_survey",
    "activity", "sla_notification", "inbox_event", "article_example", "slack_name",
)  # fmt: skip


def compact(engine: Engine) -> str:
    """Rewrite the database so erased text is gone from its files; what was done, in words.

    SQLite: VACUUM rebuilds the file without free pages (secure_delete zeroes what is
    freed), and a truncating checkpoint empties the write-ahead log. PostgreSQL: VACUUM
    marks the old row versions free; they stay on disk until overwritten (docs/admin-guide.md).
    """
    engine.dispose()  # no pooled connection of ours may hold the file open
    if engine.dialect.name == "sqlite":
        connection = sqlite3.connect(engine.url.database or "", timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA secure_delete = ON")
            connection.execute("VACUUM")
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()
        if busy:
            return (
                "VACUUM done; another process holds the write-ahead log: erased text may stay "
                "in it until deskbot checkpoints (stop deskbot and run erase again to be sure)"
            )
        return "the database file was rewritten (VACUUM) and its write-ahead log emptied"
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in REWRITTEN:
            connection.exec_driver_sql(f'VACUUM "{table}"')
    return "old row versions were vacuumed (PostgreSQL)"
