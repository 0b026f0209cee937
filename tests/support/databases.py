"""Databases of a test's own, beside the run's: a SQLite file, or a PostgreSQL database
created next to TEST_DATABASE_URL's (skipped when the run has no PostgreSQL)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from store.db import make_engine

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def has_postgresql() -> bool:
    """Whether this run has a PostgreSQL server to create databases on."""
    return PG_URL.startswith("postgresql")


@contextmanager
def fresh(kind: str, folder: Path, name: str) -> Iterator[Engine]:
    """An empty database (no tables at all) of `kind` (sqlite | postgresql), dropped after."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / (name + '.db')}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    if not has_postgresql():
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    base = make_url(PG_URL)
    database = f"{base.database}_{name}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    engine = make_engine(base.set(database=database).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def url_of(engine: Engine) -> str:
    """The engine's URL with its password, for DATABASE_URL."""
    return engine.url.render_as_string(hide_password=False)
