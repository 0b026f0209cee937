"""Opening the database for a reporting command: it must exist and be current.

Only `deskbot run` and `deskbot migrate` create or upgrade the schema. A report run
against a mistyped `DATABASE_URL` would otherwise create an empty `./deskbot.db` and
print "0 tickets" as if that were the truth; here it fails with the reason instead.
"""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class NoDatabase(Exception):
    """The database is missing, empty, or at an older revision: the message says which."""


def open_existing(url: str) -> "Engine":
    """An engine on the deskbot database at `url`; NoDatabase if it is not there or not current."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import alembic_config, make_engine, normalise_url

    url = normalise_url(url)
    parsed = make_url(url)
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        # Connecting would create the file: look before SQLite does.
        if path in ("", ":memory:") or not Path(path).is_file():
            raise NoDatabase(f"no deskbot database at {where} (check DATABASE_URL)")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        engine.dispose()
        reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
        raise NoDatabase(f"no deskbot database at {where}: {reason}") from None
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if current is None:
        engine.dispose()
        raise NoDatabase(
            f"no deskbot database at {where} (no deskbot schema: check DATABASE_URL, "
            "or run `deskbot migrate` to create one)"
        )
    if current != head:
        engine.dispose()
        raise NoDatabase(
            f"the deskbot database at {where} is at an older revision ({current}): "
            "run `deskbot migrate` first"
        )
    return engine
