"""Engine construction, sessions and schema migrations (Alembic), for SQLite and PostgreSQL."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs (the driver deskbot installs)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine tuned for concurrent intake on either backend."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=pool_size
        )
        _make_sqlite_transactions_immediate(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    # pysqlite's deferred BEGIN lets two writers both read, then deadlock on upgrade;
    # BEGIN IMMEDIATE makes them queue on the busy timeout instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that migrates the given engine, independent of the cwd."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


MIGRATION_LOCK = 0x6465736B  # any constant shared by every replica ("desk")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (safe to call on every start).

    Replicas starting together on one PostgreSQL take turns: the first migrates, the
    others wait on an advisory lock and then find nothing left to do.
    """
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})


def lock_until_commit(session: Session, *, key: str) -> None:
    """Serialise transactions that name the same key until this one ends.

    PostgreSQL takes a transaction-scoped advisory lock on a hash of the key (a rare
    hash clash only serialises two unrelated keys). SQLite needs nothing: every write
    transaction starts with BEGIN IMMEDIATE, so writers already run one at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(key.encode()).digest()
    lock = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})


def ping(engine: Engine) -> bool:
    """Whether the database answers a trivial query."""
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar() == 1


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether an IntegrityError is a unique-key clash (a redelivery or a lost race)."""
    message = str(error.orig).lower()
    return "unique" in message or "duplicate key" in message
