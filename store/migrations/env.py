"""Alembic environment: migrates the engine (or the connection) handed over in the config
attributes. A connection's transaction belongs to its owner: the migrations become part
of it (an import creates the schema and loads the rows in one transaction)."""

from alembic import context
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on the metadata)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    with context.config.attributes["engine"].connect() as connection:
        _run(connection)
        connection.commit()
