"""ticket_fact and kpi_hour stay in step with every kind of write, on both databases.

The `db` fixture also checks every test of the suite ends with facts matching a
recomputation; these tests walk one ticket through each write and check the values.
"""

import threading
import time
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from store.db import alembic_config, migrate, session_scope
from store.fact_models import HOUR_KINDS, KpiHour, TicketFact
from store.kpi.triggers import facts, rollup
from store.models import AuthorRole, Message, Ticket
from tests.conftest import ACME, AGENT, AGENT2, CUSTOMER, HELP, HOME
from tests.scenarios.test_tickets import open_ticket, ticket_cmd
from tests.support import kpi_dataset
from tests.support.harness import RunningBot


def fact(bot: RunningBot, number: int) -> TicketFact:
    """The fact row of ticket #number, after checking nothing drifted."""
    with bot.engine.connect() as connection:
        assert not any(facts.drift(connection).values())
    with Session(bot.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        found = session.get(TicketFact, ticket.id)
    assert found is not None
    return found


def hours(bot: RunningBot) -> dict[str, int]:
    """Total of each hourly volume count (surveys are counted there too, in other kinds)."""
    with Session(bot.engine) as session:
        live = rollup.live(session, KpiHour).c  # with the deltas not folded in yet
        rows = session.execute(select(live.kind, live.n)).all()
    totals: dict[str, int] = {}
    for kind, n in rows:
        totals[kind] = totals.get(kind, 0) + n
    return {kind: n for kind, n in totals.items() if n and kind in HOUR_KINDS}


def say(bot: RunningBot, root: str, user: str, text: str, team: str = HOME) -> str:
    response = bot.driver.message(channel=HELP, user=user, team=team, text=text, thread_ts=root)
    bot.drain()
    assert response.ts is not None
    return response.ts


def event(bot: RunningBot, body: dict) -> None:
    assert bot.driver.event(body).status == 200
    bot.drain()


def test_every_kind_of_write_keeps_the_ticket_facts(deskbot, clock):
    root = open_ticket(deskbot)
    found = fact(deskbot, 1)
    assert (found.status, found.frt_seconds, found.agent_replies) == ("new", None, 0)
    assert hours(deskbot) == {"created": 1, "in": 1}

    ticket_cmd(deskbot, "claim #1")
    reply = say(deskbot, root, AGENT, "Looking into it")
    found = fact(deskbot, 1)
    assert found.assignee_id == AGENT and found.first_responder_id == AGENT
    assert found.frt_seconds is not None and found.agent_replies == 1

    ticket_cmd(deskbot, "pending #1")
    ticket_cmd(deskbot, "priority #1 urgent")
    assert (fact(deskbot, 1).status, fact(deskbot, 1).priority) == ("pending", "urgent")
    say(deskbot, root, CUSTOMER, "Still blank", team=ACME)
    ticket_cmd(deskbot, "resolve #1")
    found = fact(deskbot, 1)
    assert found.status == "resolved" and found.resolution_seconds is not None
    assert found.handle_seconds is not None and found.reopen_count == 0
    assert hours(deskbot) == {"created": 1, "resolved": 1, "in": 2, "out": 1}

    ticket_cmd(deskbot, "reopen #1")
    found = fact(deskbot, 1)
    assert (found.reopen_count, found.resolved_at, found.handle_seconds) == (1, None, None)
    ticket_cmd(deskbot, f"assign #1 <@{AGENT2}|ben>")
    ticket_cmd(deskbot, "type #1 billing")
    assert fact(deskbot, 1).assignee_id == AGENT2

    edited = {"type": "message", "subtype": "message_changed", "hidden": True, "channel": HELP,
              "ts": deskbot.driver.next_ts(), "event_ts": deskbot.driver.next_ts(),
              "message": {"type": "message", "user": AGENT, "text": "Fixed it", "ts": reply,
                          "thread_ts": root, "edited": {"user": AGENT, "ts": reply}}}  # fmt: skip
    event(deskbot, edited)
    assert fact(deskbot, 1).agent_replies == 1
    before = {"type": "message", "user": AGENT, "ts": reply, "text": "Fixed it"}
    deleted = {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": HELP,
               "ts": deskbot.driver.next_ts(), "event_ts": deskbot.driver.next_ts(),
               "deleted_ts": reply, "previous_message": before}  # fmt: skip
    event(deskbot, deleted)
    assert fact(deskbot, 1).agent_replies == 0
    assert hours(deskbot) == {"created": 1, "in": 2}  # reopened: no longer resolved

    second = open_ticket(deskbot, "Another blank page")
    say(deskbot, second, AGENT, "On it")
    assert fact(deskbot, 2).agent_replies == 1
    assert ticket_cmd(deskbot, "merge #1 #2").startswith("Merged #2")
    assert fact(deskbot, 2).status == "closed"
    assert (fact(deskbot, 1).agent_replies, fact(deskbot, 2).agent_replies) == (1, 0)
    ticket_cmd(deskbot, "resolve #1")
    assert fact(deskbot, 1).status == "resolved"


def test_raw_sql_writes_are_caught_too(db):
    kpi_dataset.load(db)
    with db.begin() as connection:
        connection.execute(text("UPDATE csat_survey SET rating = 1, comment = 'meh'"))
        connection.execute(text("DELETE FROM ticket_tag WHERE tag = 'billing'"))
        connection.execute(text("UPDATE sla_target SET met_at = NULL"))
        connection.execute(text("UPDATE ticket SET priority = 'low', resolved_at = NULL"))
        connection.execute(text("DELETE FROM activity WHERE action = 'reopened'"))
        connection.execute(text("UPDATE message SET deleted_at = sent_at WHERE role = 'agent'"))
    with db.connect() as connection:
        assert not any(facts.drift(connection).values())
        priorities = connection.execute(text("SELECT DISTINCT priority FROM ticket_fact")).all()
        replies = connection.execute(text("SELECT max(agent_replies) FROM ticket_fact")).scalar()
    assert priorities == [("low",)] and replies == 0


def load_before(engine, revision: str) -> None:
    """Load the KPI dataset into a database at `revision`, then migrate it to the head."""
    command.downgrade(alembic_config(engine), revision)
    try:
        kpi_dataset.load(engine)
    finally:
        migrate(engine)


def test_migrating_an_existing_database_backfills_the_facts(engine, db):
    load_before(engine, "0015")
    with engine.connect() as connection:
        assert not any(facts.drift(connection).values())
        tickets = connection.execute(text("SELECT count(*) FROM ticket")).scalar()
        rows = connection.execute(text("SELECT count(*) FROM ticket_fact")).scalar()
    assert tickets and rows == tickets


def test_two_writers_on_one_ticket_both_count(db):
    """On PostgreSQL the second writer waits for the first, then recomputes with its rows."""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE)")
    now = datetime(2026, 11, 2, 10, tzinfo=UTC)
    with session_scope(db) as session:
        ticket = Ticket(workspace_id="T0HOME", number=1, channel_id=HELP, root_ts="1.0",
                        customer_id=CUSTOMER, customer_team_id=ACME, subject="s",
                        created_at=now, updated_at=now)  # fmt: skip
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
    flushed = threading.Event()

    def write(ts: str, hold: float) -> None:
        with session_scope(db) as session:
            message = Message(
                ticket_id=ticket_id, channel_id=HELP, ts=ts, thread_ts="1.0", user_id=AGENT,
                role=AuthorRole.AGENT, text="a", sent_at=now,
            )  # fmt: skip
            session.add(message)
            session.flush()
            flushed.set()
            time.sleep(hold)

    first = threading.Thread(target=write, args=("2.0", 0.5))
    first.start()
    assert flushed.wait(5)
    write("3.0", 0)  # blocks on the first transaction's lock on ticket 1, then counts both
    first.join()
    with Session(db) as session:
        assert session.get(TicketFact, ticket_id).agent_replies == 2  # type: ignore[union-attr]


@pytest.mark.parametrize("dimension", ["agent", "org", "priority"])
def test_breakdowns_probe_or_join_alike(db, monkeypatch, dimension):
    """Short ranges look each target's and survey's group up; long ones join: same numbers."""
    from store.kpi.queries import feedback, scope, sla

    kpi_dataset.load(db)
    start, end = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    answers = []
    for days in (0, 400):
        monkeypatch.setattr(scope, "LOOKUP_DAYS", days)
        with Session(db) as session:
            by = scope.Scope(dimension)
            answers.append(
                (
                    sla.targets(session, start=start, end=end, now=kpi_dataset.NOW, scope=by),
                    feedback.csat(session, start=start, end=end, scope=by),
                )
            )
    assert answers[0] == answers[1] and answers[0][0] and answers[0][1]


def test_migrating_a_database_without_group_totals_fills_them(engine, db):
    command.downgrade(alembic_config(engine), "0016")  # as a database of the release before
    with engine.connect() as connection:
        assert "kpi_group_day" not in inspect(connection).get_table_names()
    load_before(engine, "0016")
    with engine.connect() as connection:
        assert not any(facts.drift(connection).values())
        created = connection.execute(
            text("SELECT sum(created) FROM kpi_group_day WHERE dimension = 'org'")
        ).scalar()
    assert created == 9


def test_migrating_per_outcome_sla_hours_to_columns_keeps_every_count(engine, db):
    """0024: a database whose triggers kept one row per hour, target and outcome is
    reshaped to one row per hour and target with the same counts, and kept from then on."""
    load_before(engine, "0023")  # the release before's triggers filled the old shape
    with engine.connect() as connection:
        assert not any(facts.drift(connection).values())
        columns = {c["name"] for c in inspect(connection).get_columns("kpi_sla_hour")}
        stored = connection.execute(
            text("SELECT sum(due), sum(ok), sum(late), sum(open) FROM kpi_sla_hour")
        ).one()
        counted = connection.execute(
            text(
                "SELECT count(*), sum(CASE WHEN met_at <= due_at THEN 1 ELSE 0 END), "
                "sum(CASE WHEN met_at > due_at THEN 1 ELSE 0 END), "
                "sum(CASE WHEN met_at IS NULL THEN 1 ELSE 0 END) FROM sla_target"
            )
        ).one()
    assert "kind" not in columns and tuple(stored) == tuple(counted) and counted[0]
    with engine.begin() as connection:  # the new triggers keep it
        connection.execute(text("UPDATE sla_target SET met_at = NULL"))
    with engine.connect() as connection:
        assert not any(facts.drift(connection).values())


def test_downgrading_sla_hours_turns_the_columns_back_into_rows(engine, db):
    kpi_dataset.load(engine)
    command.downgrade(alembic_config(engine), "0023")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT kind, sum(n) FROM kpi_sla_hour GROUP BY kind ORDER BY kind")
            ).all()
            due = connection.execute(text("SELECT count(*) FROM sla_target")).scalar()
        with engine.begin() as connection:  # the old triggers are back: one more target
            connection.execute(
                text("INSERT INTO sla_target (ticket_id, target, cycle, policy, business_hours, "
                     "due_at) SELECT ticket_id, 'next_response', 'added', policy, business_hours, "
                     "due_at FROM sla_target WHERE target = 'first_response' LIMIT 1")
            )  # fmt: skip
        with engine.connect() as connection:
            after = connection.execute(  # PostgreSQL's triggers append to the pending twin
                text(
                    "SELECT sum(n) FROM (SELECT kind, n FROM kpi_sla_hour UNION ALL "
                    "SELECT kind, n FROM kpi_sla_hour_pending) s WHERE kind = 'due'"
                )
            ).scalar()
    finally:
        migrate(engine)
    assert dict(rows)["due"] == due and after == due + 1
    assert set(dict(rows)) <= {"due", "ok", "late", "open"}
