"""store.db.read_scope: reports and pages read without a write turn, so a long report
holds up neither intake's writes nor the other reports, and cannot write by mistake."""

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select

from store.db import read_scope, session_scope
from store.models import Ticket
from tests.store.conftest import NOW, WORKSPACE, NewTicket


def test_a_writer_commits_while_a_report_is_still_reading(
    session: Session, new_ticket: NewTicket
) -> None:
    new_ticket()
    session.commit()
    engine = session.get_bind()
    written = threading.Event()

    def intake() -> None:
        with session_scope(engine) as writer:  # type: ignore[arg-type]
            writer.add(Ticket(workspace_id=WORKSPACE, number=99, channel_id="C0HELP",
                              root_ts="1.000099", customer_id="U1", customer_team_id="T0ACME",
                              subject="later", created_at=NOW, updated_at=NOW))  # fmt: skip
        written.set()

    with read_scope(engine) as report:  # type: ignore[arg-type]
        before = report.exec(select(func.count()).select_from(Ticket)).one()
        other = threading.Thread(target=intake)
        other.start()
        # The writer does not wait for this transaction to end (a write turn would).
        assert written.wait(20), "the writer waited for a reader"
        # A report reads one snapshot: the row committed meanwhile is not in it.
        assert report.exec(select(func.count()).select_from(Ticket)).one() == before == 1
    other.join()
    with read_scope(engine) as later:  # type: ignore[arg-type]
        assert later.exec(select(func.count()).select_from(Ticket)).one() == 2


def test_two_reports_read_at_once(session: Session, new_ticket: NewTicket) -> None:
    new_ticket()
    session.commit()
    engine = session.get_bind()
    both = threading.Barrier(2, timeout=20)

    def report() -> None:
        with read_scope(engine) as reader:  # type: ignore[arg-type]
            reader.exec(select(func.count()).select_from(Ticket)).one()
            both.wait()  # broken (an error) if one reader waits for the other's end

    others = [threading.Thread(target=report) for _ in range(2)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join()
    assert not both.broken


def test_a_write_in_a_read_scope_fails_on_postgresql(session: Session) -> None:
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":  # type: ignore[union-attr]
        pytest.skip("SQLite has no read-only transactions; read paths are reviewed")
    with pytest.raises(DBAPIError, match="read-only"), read_scope(engine) as reader:  # type: ignore[arg-type]
        reader.add(Ticket(workspace_id=WORKSPACE, number=1, channel_id="C0HELP",
                          root_ts="1.000001", customer_id="U1", customer_team_id="T0ACME",
                          subject="x", created_at=NOW, updated_at=NOW))  # fmt: skip
        reader.flush()


def test_reads_on_postgresql_skip_jit_and_price_lookups_only_when_asked(session: Session) -> None:
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":  # type: ignore[union-attr]
        pytest.skip("planner settings are PostgreSQL's")
    asked = "SELECT current_setting('jit'), current_setting('random_page_cost')"
    with read_scope(engine) as plain:  # type: ignore[arg-type]
        jit, cost = plain.execute(text(asked)).one()
    assert jit == "off" and cost != "1.1"
    with read_scope(engine, lookups=True) as short:  # type: ignore[arg-type]
        assert tuple(short.execute(text(asked)).one()) == ("off", "1.1")
    with engine.connect() as connection:  # type: ignore[union-attr]
        # SET LOCAL: the pooled connection is as it was for whoever takes it next.
        assert connection.execute(text(asked)).one()[1] == cost
