"""`sla_target`: one row per SLA clock, kept current through claim, reply, pending, resolve."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import datetime_to_ts
from store import sla_targets
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, TRIAGE
from tests.support.harness import MutableClock, RunningBot

CONFIG = {
    "sla_policies": [
        {"name": "urgent", "priorities": ["urgent"], "first_response": "15m", "resolution": "4h"},
        {
            "name": "standard",
            "first_response": "1h",
            "next_response": "30m",
            "resolution": "1d",
        },
    ],
    "suggestions": {"max": 0},
}
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def bot(start_deskbot) -> RunningBot:
    return start_deskbot(CONFIG)


def customer(bot: RunningBot, clock: MutableClock, text: str, thread: str | None = None) -> str:
    ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=text, ts=ts, thread_ts=thread)
    bot.drain()
    return ts


def agent(bot: RunningBot, clock: MutableClock, text: str, thread: str) -> None:
    ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=HELP, user=AGENT, text=text, thread_ts=thread, ts=ts)
    bot.drain()


def command(bot: RunningBot, text: str) -> None:
    bot.driver.command("/ticket", text, user=AGENT, channel=TRIAGE)
    bot.drain()


def rows(bot: RunningBot, number: int = 1) -> dict[tuple[str, str], tuple]:
    ticket = bot.ticket(number)
    with bot.session() as session:
        found = sla_targets.targets_of(session, ticket_id=ticket.id)
    return {(r.target, r.cycle): (r.policy, r.due_at, r.met_at) for r in found}


def test_claim_reply_ping_answer_resolve_reopen(bot, clock):
    root = customer(bot, clock, "Sync is stuck")
    assert rows(bot) == {
        ("first_response", "0"): ("standard", T0 + timedelta(hours=1), None),
        ("resolution", "0"): ("standard", T0 + timedelta(days=1), None),
    }
    clock.advance(minutes=5)
    command(bot, "claim #1")
    assert len(rows(bot)) == 2
    clock.advance(minutes=5)
    agent(bot, clock, "Looking into it", root)  # first response at +10m
    assert rows(bot)[("first_response", "0")][2] == T0 + timedelta(minutes=10)

    clock.advance(minutes=10)
    asked = clock.now
    customer(bot, clock, "Any news on this?", root)
    clock.advance(minutes=5)
    customer(bot, clock, "Hello? Still broken", root)  # a ping does not restart the wait
    cycle = asked.isoformat()
    assert rows(bot)[("next_response", cycle)] == ("standard", asked + timedelta(minutes=30), None)
    assert [k for k in rows(bot) if k[0] == "next_response"] == [("next_response", cycle)]
    clock.advance(minutes=40)
    agent(bot, clock, "Fixed on our side", root)  # 45m after the question: late
    assert rows(bot)[("next_response", cycle)][2] == clock.now

    clock.advance(minutes=5)
    command(bot, "resolve #1")
    resolved_at = clock.now
    assert rows(bot)[("resolution", "0")] == ("standard", T0 + timedelta(days=1), resolved_at)

    clock.advance(hours=1)
    customer(bot, clock, "It broke again", root)  # reopens: a new resolution cycle
    reopened_at = clock.now
    assert bot.ticket(1).status in ("open", "new")
    assert rows(bot)[("resolution", "1")] == ("standard", reopened_at + timedelta(days=1), None)
    assert rows(bot)[("resolution", "0")][2] == resolved_at  # the first cycle stays met


def test_pending_drops_the_clock_and_resolving_from_pending_keeps_exact_due(bot, clock):
    root = customer(bot, clock, "Export fails")
    clock.advance(minutes=10)
    agent(bot, clock, "Can you send the logs?", root)
    command(bot, "pending #1")
    assert ("resolution", "0") not in rows(bot)  # no due time while waiting on them
    clock.advance(hours=3)
    command(bot, "resolve #1")  # resolved straight from pending
    _policy, due, met = rows(bot)[("resolution", "0")]
    # 10 minutes ran before the pause; the 3 hours pending do not count.
    assert due == T0 + timedelta(days=1, hours=3)
    assert met == clock.now and met < due


def test_priority_moves_the_due_time_and_unanswered_resolve_counts_late(bot, clock):
    customer(bot, clock, "Production down")
    command(bot, "priority #1 urgent")
    assert rows(bot)[("first_response", "0")] == ("urgent", T0 + timedelta(minutes=15), None)
    clock.advance(minutes=20)
    command(bot, "resolve #1")  # resolved without a reply, after the response target
    _, due, met = rows(bot)[("first_response", "0")]
    assert met > due


def test_breach_counts_per_local_day(bot, clock):
    customer(bot, clock, "One")  # answered late
    clock.advance(seconds=1)
    root2 = customer(bot, clock, "Two")  # answered in time
    clock.advance(minutes=30)
    agent(bot, clock, "On it", root2)
    clock.advance(hours=2)
    agent(bot, clock, "On it", bot.ticket(1).root_ts)
    clock.advance(days=1)  # tomorrow: the open resolution clocks breached yesterday's +1d
    with bot.session() as session:
        first = sla_targets.breaches_per_day(
            session,
            target="first_response",
            first_day=date(2026, 11, 22),
            last_day=date(2026, 11, 24),
            timezone="Europe/Berlin",
            now=clock.now,
        )
        resolution = sla_targets.breaches_per_day(
            session,
            target="resolution",
            first_day=date(2026, 11, 23),
            last_day=date(2026, 11, 24),
            timezone="Europe/Berlin",
            now=clock.now,
        )
        inside, outside = sla_targets.met_in_window(
            session, target="first_response", start=T0, end=T0 + timedelta(days=1)
        )
    assert first == {date(2026, 11, 22): 0, date(2026, 11, 23): 1, date(2026, 11, 24): 0}
    assert resolution == {date(2026, 11, 23): 0, date(2026, 11, 24): 2}
    assert (inside, outside) == (1, 1)
