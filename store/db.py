"""Engine construction, sessions and schema migrations (Alembic), for SQLite and PostgreSQL."""

import hashlib
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "deskbot_read_only"  # execution option of read_scope's transactions

logger = logging.getLogger(__name__)
T = TypeVar("T")


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
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "factory": QueuedConnection},
            pool_size=pool_size,
        )
        _make_sqlite_transactions_immediate(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class WriterQueue:
    """First come, first served turns at writing one SQLite database, within this process.

    SQLite lets one transaction write at a time; a waiter left to SQLite's busy handler
    polls with growing sleeps (up to 100 ms), so under load some waiters lose every race
    for seconds. Queueing this process's connections here hands the database over the
    moment it is free, in arrival order. Other processes still meet the busy timeout.
    Turns belong to connections (a thread's nested transactions share its turn), and a
    waiter gives up queueing after `patience` seconds and falls back to the busy timeout,
    so a connection that never ends its transaction cannot stall the process.
    """

    def __init__(self, *, patience: float = 30) -> None:
        self._patience = patience
        self._mutex = threading.Lock()
        self._waiters: deque[tuple[threading.Event, int]] = deque()
        self._holders: set[int] = set()
        self._owner_thread: int | None = None

    def acquire(self, holder: int) -> None:
        """Wait for the turn of `holder` (a connection), at once if its thread has it."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner_thread == me or (not self._holders and not self._waiters):
                self._holders.add(holder)
                self._owner_thread = me
                return
            turn = threading.Event()
            self._waiters.append((turn, holder))
        if turn.wait(self._patience):
            return
        with self._mutex:
            if (turn, holder) in self._waiters:
                self._waiters.remove((turn, holder))
                return
        # handed the turn just as patience ran out: keep it

    def release(self, holder: int) -> None:
        """End the turn of `holder`; the longest waiter goes next."""
        with self._mutex:
            if holder not in self._holders:
                return
            self._holders.discard(holder)
            if self._holders:
                return
            self._owner_thread = None
            if self._waiters:
                turn, next_holder = self._waiters.popleft()
                self._holders.add(next_holder)
                self._owner_thread = -1  # a thread id we never see: no one joins this turn
                turn.set()


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection that gives up its writer turn when its transaction ends."""

    writer_queue: WriterQueue | None = None

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._end_turn()

    def _end_turn(self) -> None:
        if self.writer_queue is not None:
            self.writer_queue.release(id(self))


_WRITER_QUEUES: dict[str, WriterQueue] = {}
_WRITER_QUEUES_LOCK = threading.Lock()


def _writer_queue(database: str) -> WriterQueue:
    with _WRITER_QUEUES_LOCK:
        return _WRITER_QUEUES.setdefault(database, WriterQueue())


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    # pysqlite's deferred BEGIN lets two writers both read, then deadlock on upgrade;
    # BEGIN IMMEDIATE makes them queue instead, and the writer queue makes that queue fair.
    database = engine.url.database or ""
    # An in-memory database is private to its connection: nothing to queue for.
    queue = (
        _writer_queue(str(Path(database).resolve())) if database not in ("", ":memory:") else None
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        if isinstance(dbapi_connection, QueuedConnection):
            dbapi_connection.writer_queue = queue
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # A reader: WAL gives it a snapshot beside the writer and the other readers.
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        if queue is not None:
            queue.acquire(id(dbapi_connection))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queue is not None:
                queue.release(id(dbapi_connection))
            raise


@contextmanager
def session_scope(engine: Engine, *, replayable: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    `replayable` is for work whose input is already durable elsewhere (a kept inbox
    event): PostgreSQL then commits without waiting for the WAL flush. A database crash
    can undo the last fraction of a second of such commits, exactly as if they had been
    rolled back, and the kept input is replayed. SQLite (WAL, synchronous=NORMAL)
    already commits that way.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            if replayable and engine.dialect.name == "postgresql":
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine, *, lookups: bool = False) -> Iterator[Session]:
    """One read-only transaction, for reports and pages that change nothing.

    On SQLite a plain (deferred) BEGIN: under WAL it reads a snapshot while the writer
    writes and other readers read, where a write turn (BEGIN IMMEDIATE) would make every
    report wait for the one before it, and intake for all of them. On PostgreSQL it is
    REPEATABLE READ (one snapshot, as on SQLite: a report's numbers agree with each other
    even while tickets arrive) and READ ONLY, so a write slipped into a read path fails.
    Without JIT there: compiling a page's query cost more than running it (70 ms of
    100). With `lookups` (a page of a short range's tickets), rows found by key are priced
    as the cached reads they are, so each ticket's facts are probed by key rather than
    every fact hashed (1M tickets, 30 days sorted by first response: 298 -> 66 ms).
    """
    reader = engine.execution_options(**{READ_ONLY: True})
    with Session(reader, expire_on_commit=False) as session:
        try:
            if engine.dialect.name == "postgresql":
                session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                session.execute(
                    text(
                        "SELECT set_config('jit', 'off', true), set_config('random_page_cost', "
                        "CASE WHEN :lookups THEN '1.1' ELSE current_setting('random_page_cost') "
                        "END, true)"
                    ),  # one round trip; set_config(..., true) is SET LOCAL
                    {"lookups": lookups},
                )
            yield session
        finally:
            # Nothing to keep: closing hands the connection back, rolled back, and leaves
            # the rows read loaded (a rollback would expire them).
            session.close()


def is_read_only(session: Session) -> bool:
    """Whether the session is a read_scope's (a cache it would fill is left alone)."""
    return bool(session.connection().get_execution_options().get(READ_ONLY))


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


def health_engine(engine: Engine) -> Engine:
    """An engine of its own for health checks, one fresh connection per check.

    /healthz asks whether the database answers, not whether the pool has room: with every
    pooled connection busy with intake, a check waiting for one took hundreds of
    milliseconds (`bench/abuse.py`). A fresh connection is cheap here (a file on SQLite,
    a local socket on PostgreSQL) and sees a database that went away at once.
    """
    if engine.url.get_backend_name() == "sqlite":
        return create_engine(
            engine.url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 5}
        )
    return create_engine(engine.url, poolclass=NullPool, connect_args={"connect_timeout": 5})


def ping(engine: Engine) -> bool:
    """Whether the database answers a trivial query.

    On the driver's own cursor, outside any SQLAlchemy transaction: on SQLite every
    transaction is a write turn (BEGIN IMMEDIATE), and a health check queued behind a
    burst of writers made /healthz take seconds.
    """
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
        finally:
            cursor.close()
        return row is not None and row[0] == 1
    finally:
        connection.close()


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether an IntegrityError is a unique-key clash (a redelivery or a lost race)."""
    message = str(error.orig).lower()
    return "unique" in message or "duplicate key" in message


def outlast_outage(
    write: Callable[[], T], *, patience: float = 30, pause: Callable[[float], None] = time.sleep
) -> T:
    """Run a write that records something already done on Slack, retrying while the
    database is unreachable (a restart, a failover) for up to `patience` seconds.

    Giving up early would leave the Slack side unrecorded, and whoever finishes the work
    later would do it a second time (a second triage card).
    """
    delay, waited = 0.25, 0.0
    while True:
        try:
            return write()
        except OperationalError:
            if waited >= patience:
                raise
            logger.warning("database unreachable; recording again in %.2f s", delay)
            pause(delay)
            waited += delay
            delay = min(delay * 2, 4.0)


def in_chunks(ids: list[int], size: int = 1000) -> Iterator[list[int]]:
    """`ids` in slices small enough for one statement's parameters on every driver."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
