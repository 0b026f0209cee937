"""Migration 0021 corrects what a database made at 0020 stored with the old meanings,
then recomputes every KPI fact: the new numbers come out of an old history.

Run on a database of its own (a SQLite file, and a PostgreSQL database beside
TEST_DATABASE_URL's when one is given): migrated to 0020, filled the way the old
release wrote (no KPI triggers of this release), then migrated to the head.
"""

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import parse_config
from bot.kpi.service import KpiService
from store.db import alembic_config, session_scope
from store.kpi.triggers import fact_triggers, facts
from store.models import Message, SlaTarget, Ticket, TicketStatus
from tests.support.harness import MutableClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT, ASKING_AGENT, CUSTOMER, CUSTOMER2 = "UAGENT1", "UAGENT2", "UCUST1", "UCUST2"


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def _ticket(number: int, customer: str, created: int, **values) -> Ticket:
    return Ticket(workspace_id="T0HOME", number=number, channel_id="C0HELP",
                  root_ts=f"{number}.0", customer_id=customer, customer_team_id="T0ACME",
                  subject=f"question {number}", created_at=minutes(created),
                  updated_at=minutes(created), **values)  # fmt: skip


def _message(ticket: Ticket, ts: str, user: str, role: str, sent: int, **values) -> Message:
    return Message(ticket_id=ticket.id, channel_id="C0HELP", ts=ts, thread_ts=ticket.root_ts,
                   user_id=user, role=role, text="...", sent_at=minutes(sent),
                   **values)  # fmt: skip


def _old_history(engine: Engine) -> None:
    """Three stories as the old release stored them."""
    with session_scope(engine) as session:
        # 1: an agent asked; their own question counted as the first response (0 s).
        asked = _ticket(1, ASKING_AGENT, 0, first_response_at=minutes(0),
                        first_responder_id=ASKING_AGENT, status=TicketStatus.OPEN)  # fmt: skip
        # 2: a reply at 5 minutes, deleted; the real one at 45.
        deleted = _ticket(2, CUSTOMER, 0, first_response_at=minutes(5),
                          first_responder_id=AGENT, status=TicketStatus.OPEN)  # fmt: skip
        # 3 merged into 4 at 20 minutes: its first response "met in time" by the merge.
        survivor = _ticket(4, CUSTOMER, 0, status=TicketStatus.OPEN)
        session.add_all([asked, deleted, survivor])
        session.flush()
        merged = _ticket(3, CUSTOMER2, 10, status=TicketStatus.CLOSED, closed_at=minutes(20),
                         merged_into_id=survivor.id, merged_at=minutes(20))  # fmt: skip
        session.add(merged)
        session.flush()
        session.add_all([
            _message(asked, "1.0", ASKING_AGENT, "agent", 0),
            _message(asked, "1.1", ASKING_AGENT, "agent", 2),
            _message(asked, "1.2", AGENT, "agent", 30),
            _message(deleted, "2.0", CUSTOMER, "customer", 0),
            _message(deleted, "2.1", AGENT, "agent", 5, deleted_at=minutes(6)),
            _message(deleted, "2.2", AGENT, "agent", 45),
            _message(survivor, "4.0", CUSTOMER, "customer", 0),
            _message(survivor, "3.0", CUSTOMER2, "customer", 10),  # moved in by the merge
        ])  # fmt: skip
        due = minutes(30)
        session.add_all([
            SlaTarget(ticket_id=asked.id, target="first_response", cycle="0", policy="std",
                      due_at=due, met_at=minutes(0)),
            SlaTarget(ticket_id=deleted.id, target="first_response", cycle="0", policy="std",
                      due_at=due, met_at=minutes(5)),
            SlaTarget(ticket_id=merged.id, target="first_response", cycle="0", policy="std",
                      due_at=minutes(40), met_at=minutes(20)),
        ])  # fmt: skip


def test_0021_gives_an_old_history_the_new_numbers(fresh: Engine) -> None:
    config = alembic_config(fresh)
    command.upgrade(config, "0020")
    with fresh.begin() as connection:
        fact_triggers.drop(connection)  # the old release's triggers computed old facts
    _old_history(fresh)

    command.upgrade(config, "head")

    with Session(fresh) as session:
        found = {t.number: t for t in session.exec(select(Ticket))}
        roles = {m.ts: m.role for m in session.exec(select(Message))}
        met = {target.ticket_id: target.met_at for target in session.exec(select(SlaTarget))}
    assert (found[1].first_response_at, found[1].first_responder_id) == (minutes(30), AGENT)
    assert (roles["1.0"], roles["1.1"], roles["1.2"]) == ("customer", "customer", "agent")
    assert found[2].first_response_at == minutes(45)
    assert met == {found[1].id: minutes(30), found[2].id: minutes(45)}  # #3's is gone
    kpi = KpiService(fresh, parse_config({}), MutableClock(minutes(60)))
    day = "2026-03-02"
    frt = kpi.report(kpi.query("frt", day))
    assert frt.figure("frt_count") == 2 and frt.figure("frt_median") == 2250.0  # 1800, 2700
    assert frt.figure("unanswered") == 1  # #4 waits; #3 was merged into it
    volume = kpi.report(kpi.query("volume", day))
    assert (volume.figure("backlog"), volume.figure("messages_out")) == (3, 2)
    sla = kpi.report(kpi.query("sla", day))
    assert (sla.figure("due"), sla.figure("breaches"), sla.figure("within")) == (2, 1, 0.5)
    with fresh.connect() as connection:
        assert not any(facts.drift(connection).values())
        merged_hours = connection.execute(
            text("SELECT sum(n) FROM kpi_hour WHERE kind = 'merged'")
        ).scalar()
    assert merged_hours == 1
