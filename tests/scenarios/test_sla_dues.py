"""SLA due times: stored on the ticket, recomputed on every change, paused while pending."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import datetime_to_ts
from bot.config import parse_config
from bot.sla.policy import TicketFacts, compute_dues, match_policy
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, TRIAGE
from tests.support.harness import MutableClock, RunningBot

POLICIES = {
    "sla_policies": [
        {"name": "urgent", "priorities": ["urgent"], "first_response": "15m", "resolution": "4h"},
        {
            "name": "acme",
            "channels": [HELP],
            "first_response": "30m",
            "next_response": "1h",
            "resolution": "2d",
        },
        {"name": "default", "first_response": "4h", "resolution": "3d", "business_hours": True},
    ],
    "business_hours": {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"},
}


def ask_now(bot: RunningBot, clock: MutableClock, text: str = "Sync is stuck", **kw) -> str:
    """A question sent at the injected clock's current time."""
    ts = datetime_to_ts(clock.now)
    bot.driver.message(
        channel=kw.pop("channel", HELP), user=CUSTOMER, team=ACME, text=text, ts=ts, **kw
    )
    bot.drain()
    return ts


def command(bot: RunningBot, text: str) -> str:
    response = bot.driver.command("/ticket", text, user=AGENT, channel=TRIAGE)
    bot.drain()
    return response.body


def test_policy_matching_first_match_wins():
    desk = parse_config(POLICIES)
    assert match_policy(desk.sla_policies, channel_id=HELP, priority="urgent").name == "urgent"
    assert match_policy(desk.sla_policies, channel_id=HELP, priority="normal").name == "acme"
    assert match_policy(desk.sla_policies, channel_id="C0OTHER", priority="low").name == "default"
    assert match_policy([], channel_id=HELP, priority="low") is None


def test_business_hours_policy_skips_the_weekend():
    desk = parse_config(POLICIES)
    friday_late = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 16:30 in Berlin
    facts = TicketFacts(
        channel_id="C0OTHER",
        priority="normal",
        created_at=friday_late,
        first_response_at=None,
        last_customer_message_at=friday_late,
        last_agent_message_at=None,
        resolved=False,
    )
    dues = compute_dues(desk.sla_policies, desk.business_hours, facts)
    # 30 business minutes on Friday, the other 3h 30m on Monday from 09:00 Berlin (08:00 UTC)
    assert dues.first_response == datetime(2026, 11, 30, 11, 30, tzinfo=UTC)
    assert dues.business_hours


@pytest.fixture
def bot(start_deskbot) -> RunningBot:
    return start_deskbot(POLICIES)


def test_new_ticket_stores_due_times_and_show_explains_them(bot, clock, fake):
    ask_now(bot, clock)
    ticket = bot.ticket(1)
    assert ticket.sla_policy == "acme"
    assert ticket.first_response_due_at == clock.now + timedelta(minutes=30)
    assert ticket.resolution_due_at == clock.now + timedelta(days=2)
    assert ticket.next_response_due_at is None
    clock.advance(minutes=10)
    assert "first response due in 20m" in command(bot, "show #1")
    assert "First response due" in str(fake.messages(TRIAGE)[0]["blocks"])


def test_priority_change_switches_policy(bot, clock):
    ask_now(bot, clock)
    command(bot, "priority #1 urgent")
    ticket = bot.ticket(1)
    assert ticket.sla_policy == "urgent"
    assert ticket.first_response_due_at == ticket.created_at + timedelta(minutes=15)


def test_first_response_stops_its_clock_and_customer_reply_starts_next_response(bot, clock):
    root = ask_now(bot, clock)
    clock.advance(minutes=5)
    bot.driver.message(
        channel=HELP, user=AGENT, text="Looking", thread_ts=root, ts=datetime_to_ts(clock.now)
    )
    bot.drain()
    assert bot.ticket(1).first_response_due_at is None
    clock.advance(minutes=5)
    ask_now(bot, clock, "Any update?", thread_ts=root)
    assert bot.ticket(1).next_response_due_at == clock.now + timedelta(hours=1)


def test_pending_pauses_the_clocks(bot, clock):
    ask_now(bot, clock)
    first_due = bot.ticket(1).first_response_due_at
    clock.advance(minutes=10)
    command(bot, "pending #1")
    assert bot.ticket(1).first_response_due_at is None  # stopped while waiting on them
    assert "no targets running" in command(bot, "show #1")
    clock.advance(hours=2)
    command(bot, "claim #1")  # claiming keeps it pending
    ask_now(bot, clock, "here are the logs", thread_ts=bot.ticket(1).root_ts)
    ticket = bot.ticket(1)
    assert ticket.status == "open"
    assert ticket.first_response_due_at == first_due + timedelta(hours=2)


def test_resolved_tickets_have_no_running_targets_and_breaching_list(bot, clock):
    ask_now(bot, clock, "first")
    clock.advance(minutes=45)
    ask_now(bot, clock, "second")
    assert "#1" in command(bot, "list breaching")  # due 15 minutes ago
    command(bot, "resolve #1")
    ticket = bot.ticket(1)
    assert (ticket.first_response_due_at, ticket.resolution_due_at) == (None, None)
    listed = command(bot, "list breaching")
    assert "#1" not in listed and "#2" in listed  # due within the hour
