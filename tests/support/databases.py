"""A PostgreSQL database of a test's own, beside TEST_DATABASE_URL's (migration tests)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

URL = os.environ.get("TEST_DATABASE_URL", "")


@contextmanager
def scratch_postgres(suffix: str) -> Iterator[str]:
    """Create `<test database>_<suffix>` empty, yield its URL, drop it afterwards."""
    base = make_url(URL)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(False)
    finally:
        drop()
        admin.dispose()
