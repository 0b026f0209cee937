"""Replicas starting together on one PostgreSQL migrate the database once, without errors."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from store.db import make_engine, migrate
from tests.support import databases


def test_three_replicas_migrating_at_once_all_start(tmp_path):
    with databases.fresh("postgresql", tmp_path, "migrate_race") as first:
        engines = [first, *(make_engine(databases.url_of(first)) for _ in range(2))]
        try:
            with ThreadPoolExecutor(max_workers=3) as pool:
                list(pool.map(migrate, engines))  # raises if any replica failed
            with first.connect() as connection:
                heads = connection.execute(text("SELECT version_num FROM alembic_version")).all()
                assert len(heads) == 1
        finally:
            for engine in engines[1:]:
                engine.dispose()
