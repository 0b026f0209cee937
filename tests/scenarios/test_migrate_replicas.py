"""Replicas starting together on one PostgreSQL migrate the database once, without errors."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store.db import make_engine, migrate

URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.mark.skipif(not URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL (PG)")
def test_three_replicas_migrating_at_once_all_start():
    base = make_url(URL)
    name = f"{base.database}_migrate_race"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engines = [make_engine(base.set(database=name).render_as_string(False)) for _ in range(3)]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(migrate, engines))  # raises if any replica failed
        with engines[0].connect() as connection:
            heads = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            assert len(heads) == 1
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
