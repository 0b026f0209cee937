"""Storing a kept event is one transaction: the inbox row goes with the event's rows.

Also: a brand-new ticket's SLA plan, made without reading pauses, targets or the sweep,
is the plan a full refresh makes.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.sla.planner import SlaPlanner
from store.models import InboxEvent, SlaSchedule, SlaTarget, Ticket
from tests.scenarios.test_redelivery import message_event


@pytest.fixture(autouse=True)
def _clock_at_slack_time(clock) -> None:
    """Start the clock when the driver's messages are written, as in production."""
    clock.now = datetime.fromtimestamp(1_763_900_000, UTC)


def kept(bot) -> list[InboxEvent]:
    """The inbox as it stands."""
    with bot.session() as session:
        return list(session.exec(select(InboxEvent)))


def test_a_stored_event_leaves_the_inbox_without_a_transaction_of_its_own(deskbot, monkeypatch):
    inbox = deskbot.app.runtime.deps.inbox
    separate: list[int] = []
    monkeypatch.setattr(inbox, "done", separate.append)

    deskbot.driver.event(message_event(deskbot, "Exports fail since the upgrade"))
    deskbot.drain()

    assert len(deskbot.tickets()) == 1 and kept(deskbot) == [] and separate == []


def test_a_removal_that_fails_takes_the_stored_event_back_with_it(deskbot):
    deskbot.allow_listener_errors = True
    inbox = deskbot.app.runtime.deps.inbox
    real = inbox.removal

    def failing(row_id):
        def remove(session: Session) -> None:
            real(row_id)(session)
            raise OperationalError("DELETE", {}, Exception("server closed the connection"))

        return remove

    inbox.removal = failing  # type: ignore[method-assign]
    deskbot.driver.event(message_event(deskbot, "Exports fail since the upgrade"))
    deskbot.drain()

    # Neither half happened: the event is still kept, to be replayed, and no ticket exists.
    assert deskbot.tickets() == [] and len(kept(deskbot)) == 1


def test_a_redelivery_of_a_stored_event_leaves_nothing_in_the_inbox(deskbot):
    event = message_event(deskbot, "Exports fail since the upgrade")
    deskbot.driver.event(event, event_id="Ev0TWICE")
    deskbot.drain()
    deskbot.driver.event(event, event_id="Ev0TWICE", retry_num=1)  # after the first is gone
    deskbot.drain()

    assert len(deskbot.tickets()) == 1 and kept(deskbot) == []


def test_a_new_tickets_sla_plan_is_the_one_a_full_refresh_makes(start_deskbot, clock):
    policy = {"name": "std", "first_response": "1h", "next_response": "4h", "resolution": "3d"}
    bot = start_deskbot({"sla_policies": [policy]})
    bot.driver.event(message_event(bot, "Exports fail since the upgrade"))
    bot.drain()

    def plan(session: Session) -> tuple:
        ticket = session.exec(select(Ticket)).one()
        targets = session.exec(select(SlaTarget.target, SlaTarget.cycle, SlaTarget.due_at)).all()
        schedule = session.get(SlaSchedule, ticket.id)
        assert schedule is not None
        return (
            ticket.sla_policy,
            ticket.first_response_due_at,
            ticket.resolution_due_at,
            ticket.sla_waiting_since,
            sorted(targets),
            schedule.alert_at,
        )

    with Session(bot.engine, expire_on_commit=False) as session:
        planned = plan(session)
        # What any later change to the ticket runs: every read done.
        SlaPlanner(bot.app.runtime.deps.desk, clock).refresh(
            session, session.exec(select(Ticket)).one()
        )
        assert plan(session) == planned
        assert planned[0] == "std" and planned[1] is not None and planned[4]
        session.rollback()
