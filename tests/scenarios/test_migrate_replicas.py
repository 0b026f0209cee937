"""Replicas starting together on one PostgreSQL migrate the database once, without errors."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from store.db import make_engine, migrate
from tests.support.databases import URL, scratch_postgres


@pytest.mark.skipif(not URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL (PG)")
def test_three_replicas_migrating_at_once_all_start():
    with scratch_postgres("migrate_race") as url:
        engines = [make_engine(url) for _ in range(3)]
        try:
            with ThreadPoolExecutor(max_workers=3) as pool:
                list(pool.map(migrate, engines))  # raises if any replica failed
            with engines[0].connect() as connection:
                heads = connection.execute(text("SELECT version_num FROM alembic_version")).all()
                assert len(heads) == 1
        finally:
            for engine in engines:
                engine.dispose()
