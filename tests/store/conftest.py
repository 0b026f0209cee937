"""The store tier: query functions called directly on a real Session, on the run's database.

`session` is a plain Session on the `engine` of tests/conftest.py (SQLite, or the
PostgreSQL of TEST_DATABASE_URL). The tables are emptied before a test, and after it,
once the KPI facts are checked against the rows it wrote, so nothing leaks to the next.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from store import tickets
from store.kpi.triggers import facts
from store.models import Ticket, TicketStatus
from tests.support import databases

WORKSPACE = "T0HOME"
CHANNEL = "C0HELP"
CUSTOMER = "UCUST1"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the test's own, for migration tests: a SQLite file, and a
    PostgreSQL database beside TEST_DATABASE_URL's (named after the test module)."""
    name = request.module.__name__.rsplit(".", 1)[-1][5:40]
    with databases.fresh(request.param, tmp_path, name) as engine:
        yield engine


def _empty(engine: Engine) -> None:
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A Session on an emptied database; the test commits what it wants others to see."""
    _empty(engine)
    with Session(engine) as session:
        yield session
    try:
        with engine.connect() as connection:
            stale = facts.drift(connection)
        # Store writes go through the same triggers as the app's: facts must keep step.
        assert not any(stale.values()), f"KPI facts out of step: {stale}"
    finally:
        _empty(engine)


NewTicket = Callable[..., Ticket]


@pytest.fixture
def new_ticket(session: Session) -> NewTicket:
    """Store a ticket (numbered like intake does) and return it; fields can be overridden."""

    def make(**fields: object) -> Ticket:
        number = tickets.next_ticket_number(session, workspace_id=WORKSPACE)
        values: dict[str, object] = {
            "workspace_id": WORKSPACE,
            "number": number,
            "channel_id": CHANNEL,
            "root_ts": f"1772442000.{number:06d}",
            "customer_id": CUSTOMER,
            "customer_team_id": "T0ACME",
            "subject": f"question {number}",
            "status": TicketStatus.NEW,
            "created_at": NOW,
            "updated_at": NOW,
        }
        return tickets.add_ticket(session, ticket=Ticket(**{**values, **fields}))

    return make
