"""Routing over signed HTTP: away/back, auto-assignment, claim timeouts, across replicas."""

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import datetime_to_ts
from store.models import Activity, AgentAway, TicketStatus
from tests.conftest import (
    ACME,
    AGENT,
    AGENT2,
    CUSTOMER,
    GROUP_AGENT,
    HELP,
    INTERNAL_HELP,
    SHARED_TRIAGE,
    TRIAGE,
)
from tests.scenarios.test_tickets import ticket_cmd
from tests.support.harness import MutableClock, RunningBot

QUIET: dict[str, Any] = {"suggestions": {"max": 0}, "csat": {"enabled": False}}
POOL = [AGENT, AGENT2, GROUP_AGENT]  # the test config's agents, then its usergroup


def routed(mode: str = "round_robin", **routing: Any) -> dict[str, Any]:
    return {**QUIET, "routing": {"mode": mode, **routing}}


def ask(bot: RunningBot, clock: MutableClock, text: str = "Export fails", channel: str = HELP):
    """A customer question at the clock's time; returns the root ts."""
    ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=channel, user=CUSTOMER, team=ACME, text=text, ts=ts)
    bot.drain()
    clock.advance(seconds=1)
    return ts


def sweep(bot: RunningBot):
    report = bot.app.runtime.deps.routing.sweep()
    bot.drain()
    return report


def activity(bot: RunningBot, action: str) -> list[dict]:
    with bot.session() as session:
        rows = session.exec(select(Activity).where(Activity.action == action).order_by(Activity.id))
        return [row.detail for row in rows]


def triage_notes(fake) -> list[str]:
    return [m["text"] for m in fake.messages(TRIAGE) if m.get("thread_ts")]


def assignees(bot: RunningBot) -> list[str | None]:
    return [ticket.assignee_id for ticket in bot.tickets()]


def test_round_robin_rotates_through_the_pool_and_says_why(start_deskbot, fake, clock):
    bot = start_deskbot(routed())
    for n in range(4):
        ask(bot, clock, f"Question {n}")
    assert assignees(bot) == [AGENT, AGENT2, GROUP_AGENT, AGENT]
    assert {t.status for t in bot.tickets()} == {TicketStatus.OPEN}
    assert activity(bot, "auto_assigned")[0] == {
        "to": AGENT,
        "mode": "round_robin",
        "reason": "round robin",
    }
    assert f"Auto-assigned to <@{AGENT}>: round robin." in triage_notes(fake)
    assert f"Assigned to <@{AGENT}>" in str(fake.calls_to("chat.update")[0].args["blocks"])
    dms = [c.args["text"] for c in fake.calls_to("chat.postMessage") if c.args["channel"] == AGENT]
    assert len(dms) == 2 and "#1 was routed to you" in dms[0]
    shown = ticket_cmd(bot, "show #1")
    assert "auto assigned to" in shown and "round robin" in shown


def two_replicas(start_deskbot, config: dict[str, Any]) -> tuple[RunningBot, RunningBot]:
    """Two deskbot processes on one database (each driver numbers its events apart)."""
    first, second = start_deskbot(config), start_deskbot(config)
    second.driver._seq = itertools.count(1_000_000)  # Slack's event ids are unique
    return first, second


def test_a_redelivered_message_is_routed_once(start_deskbot, fake, clock):
    bot = start_deskbot(routed())
    ts = datetime_to_ts(clock.now)
    for _ in range(3):  # Slack delivers the same message again (new envelope, same ts)
        bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Export fails", ts=ts)
        bot.drain()
    clock.advance(seconds=1)
    ask(bot, clock, "Another question")
    assert assignees(bot) == [AGENT, AGENT2]
    assert len(activity(bot, "auto_assigned")) == 2


def test_round_robin_is_shared_by_replicas(start_deskbot, fake, clock):
    first, second = two_replicas(start_deskbot, routed())
    for n in range(6):
        ask(first if n % 2 == 0 else second, clock, f"Question {n}")
    assert assignees(first) == POOL + POOL


def test_racing_new_tickets_are_spread_evenly(start_deskbot, fake, clock):
    first, second = two_replicas(start_deskbot, routed())

    def send(n: int) -> None:
        bot = first if n % 2 else second
        ts = datetime_to_ts(clock.now + timedelta(seconds=n))  # drivers count ts alike
        bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=f"Outage {n}", ts=ts)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(send, range(9)))
    first.drain()
    second.drain()
    held = assignees(first)
    assert len(held) == 9 and all(held.count(agent) == 3 for agent in POOL)
    assert len(activity(first, "auto_assigned")) == 9


def test_away_agents_are_skipped_until_they_are_back(start_deskbot, fake, clock):
    bot = start_deskbot(routed())
    answer = ticket_cmd(bot, "away 2h", user=AGENT2)
    assert "You are away until" in answer
    for n in range(3):
        ask(bot, clock, f"Question {n}")
    assert assignees(bot) == [AGENT, GROUP_AGENT, AGENT]
    clock.advance(hours=2)  # the away time is over by itself
    ask(bot, clock, "Cannot reset my password")
    assert assignees(bot)[-1] == AGENT2

    ticket_cmd(bot, "away", user=GROUP_AGENT)  # until they say they are back
    clock.advance(days=3)
    ask(bot, clock, "Invoices are missing from the portal")
    assert assignees(bot)[-1] == AGENT
    assert "Welcome back" in ticket_cmd(bot, "back", user=GROUP_AGENT)
    ask(bot, clock, "The API returns 502 errors")
    ask(bot, clock, "Webhooks stopped arriving")
    assert assignees(bot)[-2:] == [AGENT2, GROUP_AGENT]
    assert "You were not away" in ticket_cmd(bot, "back", user=GROUP_AGENT)


def test_away_until_is_read_strictly(start_deskbot, fake, clock):
    bot = start_deskbot(routed())
    for bad in ("next week", "25:00", "2026-02-30", "yesterday", "tomorrow at noon", "2020-01-01"):
        answer = ticket_cmd(bot, f"away {bad}", user=AGENT)
        assert "tomorrow 9:00" in answer, (bad, answer)  # says what is accepted
    with bot.session() as session:
        assert session.exec(select(AgentAway)).all() == []  # nothing changed
    assert "`back` takes nothing" in ticket_cmd(bot, "back soon", user=AGENT)
    answer = ticket_cmd(bot, "away until tomorrow 9:00", user=AGENT)
    with bot.session() as session:
        [row] = session.exec(select(AgentAway)).all()
    assert row.until is not None and row.until.isoformat() == "2026-11-24T09:00:00+00:00"
    assert "You are away until" in answer


def test_assigning_to_an_away_agent_warns(start_deskbot, fake, clock):
    bot = start_deskbot(QUIET)
    ask(bot, clock)
    ticket_cmd(bot, "away", user=AGENT2)
    answer = ticket_cmd(bot, f"assign #1 <@{AGENT2}>", user=AGENT)
    assert f"is now <@{AGENT2}>'s" in answer and "is away until they are back" in answer
    assert bot.ticket(1).assignee_id == AGENT2  # the human decides


def test_away_tells_the_agent_what_they_still_hold(start_deskbot, fake, clock):
    bot = start_deskbot(QUIET)
    ask(bot, clock)
    ticket_cmd(bot, "claim #1", user=AGENT)
    answer = ticket_cmd(bot, "away", user=AGENT)
    assert "You hold 1 live tickets: #1" in answer and "Auto-assignment is off" in answer
    assert bot.ticket(1).assignee_id == AGENT  # held tickets stay theirs


def test_least_loaded_picks_the_agent_with_fewest_live_tickets(start_deskbot, fake, clock):
    bot = start_deskbot(routed("least_loaded", channels={INTERNAL_HELP: {"mode": "none"}}))
    for n in range(3):
        ask(bot, clock, f"Internal {n}", channel=INTERNAL_HELP)  # not routed: mode none
    assert assignees(bot) == [None, None, None]
    ticket_cmd(bot, "claim #1", user=AGENT)
    ticket_cmd(bot, "claim #2", user=AGENT)
    ticket_cmd(bot, "claim #3", user=GROUP_AGENT)
    ask(bot, clock, "Customer question")
    assert bot.ticket(4).assignee_id == AGENT2
    assert activity(bot, "auto_assigned")[-1]["reason"] == "least loaded, 0 open"
    assert f"Auto-assigned to <@{AGENT2}>: least loaded, 0 open." in triage_notes(fake)
    ask(bot, clock, "Another one")  # AGENT2 and GROUP_AGENT tie at 1: rotation decides
    assert bot.ticket(5).assignee_id == GROUP_AGENT


def test_channel_overrides_name_their_own_pool(start_deskbot, fake, clock):
    config = routed("none", channels={HELP: {"mode": "round_robin", "agents": [AGENT2]}})
    bot = start_deskbot(config)
    ask(bot, clock, "Shared channel question")
    ask(bot, clock, "Internal question", channel=INTERNAL_HELP)
    assert assignees(bot) == [AGENT2, None]
    assert sweep(bot).assigned == 0  # INTERNAL_HELP does not route


def test_with_everyone_away_tickets_wait_and_are_routed_when_someone_is_back(
    start_deskbot, fake, clock
):
    bot = start_deskbot(routed(agents=[AGENT, AGENT2]))
    ticket_cmd(bot, "away", user=AGENT)
    ticket_cmd(bot, "away", user=AGENT2)
    ask(bot, clock)
    assert assignees(bot) == [None]
    assert any("No available agent" in note for note in triage_notes(fake))
    assert sweep(bot).assigned == 0
    ticket_cmd(bot, "back", user=AGENT2)
    assert sweep(bot).assigned == 1
    assert assignees(bot) == [AGENT2]
    assert sweep(bot).assigned == 0


def test_unclaimed_ticket_is_not_given_back_to_who_let_it_go(start_deskbot, fake, clock):
    bot = start_deskbot(routed(agents=[AGENT, AGENT2]))
    ask(bot, clock)
    assert assignees(bot) == [AGENT]
    ticket_cmd(bot, "unassign #1", user=AGENT)
    sweep(bot)
    assert assignees(bot) == [AGENT2]


def test_claim_without_reply_is_released_after_business_time(start_deskbot, fake, clock):
    bot = start_deskbot({**QUIET, "routing": {"claim_timeout": "2h"}})
    ask(bot, clock)
    clock.advance(hours=6, minutes=59, seconds=59)  # Monday 16:00; business hours end at 17:00
    ticket_cmd(bot, "claim #1", user=AGENT)
    clock.advance(minutes=59)
    assert sweep(bot).released == 0
    clock.advance(hours=17)  # Tuesday 09:59: 1h59m of business time so far
    assert sweep(bot).released == 0
    clock.advance(minutes=1)  # Tuesday 10:00: two business hours without a reply
    assert sweep(bot).released == 1
    ticket = bot.ticket(1)
    assert (ticket.assignee_id, ticket.status) == (None, TicketStatus.NEW)
    [released] = activity(bot, "claim_released")
    assert released["from"] == AGENT and released["after"] == "2h"
    note = triage_notes(fake)[-1]
    assert f"<@{AGENT}>'s claim on #1 was released" in note and "unassigned queue" in note
    posted = fake.calls_to("chat.postMessage")[-1].args
    assert posted["thread_ts"] == ticket.triage_ts and posted["reply_broadcast"] in (True, "1")
    card = fake.calls_to("chat.update")[-1].args
    assert card["ts"] == ticket.triage_ts and "Assigned to" not in str(card["blocks"])
    assert sweep(bot).released == 0  # once


def test_an_agent_reply_keeps_the_claim(start_deskbot, fake, clock):
    bot = start_deskbot({**QUIET, "routing": {"claim_timeout": "1h"}})
    root = ask(bot, clock)
    ticket_cmd(bot, "claim #1", user=AGENT)
    clock.advance(minutes=30)
    reply_ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=HELP, user=AGENT2, text="Looking", thread_ts=root, ts=reply_ts)
    bot.drain()
    clock.advance(hours=3)
    assert sweep(bot).released == 0
    assert bot.ticket(1).assignee_id == AGENT


def test_pending_or_resolved_tickets_keep_their_holder(start_deskbot, fake, clock):
    bot = start_deskbot({**QUIET, "routing": {"claim_timeout": "1h"}})
    ask(bot, clock, "First problem")
    ask(bot, clock, "Second problem")
    ticket_cmd(bot, "claim #1", user=AGENT)
    ticket_cmd(bot, "claim #2", user=AGENT)
    ticket_cmd(bot, "pending #1", user=AGENT)
    ticket_cmd(bot, "resolve #2", user=AGENT)
    clock.advance(hours=2)
    assert sweep(bot).released == 0
    assert assignees(bot) == [AGENT, AGENT]


def test_tickets_made_with_the_ticket_emoji_are_routed_too(start_deskbot, fake, clock):
    bot = start_deskbot(routed())
    ts = datetime_to_ts(clock.now)
    fake.seed_message(HELP, ts, CUSTOMER, "Is the status page right?")
    bot.driver.event(
        {
            "type": "reaction_added",
            "user": AGENT2,
            "reaction": "ticket",
            "item": {"type": "message", "channel": HELP, "ts": ts},
            "event_ts": bot.driver.next_ts(),
        }
    )
    bot.drain()
    assert assignees(bot) == [AGENT]


def test_released_claim_is_routed_to_someone_else(start_deskbot, fake, clock):
    bot = start_deskbot(routed(claim_timeout="1h", agents=[AGENT, AGENT2]))
    ask(bot, clock)
    assert assignees(bot) == [AGENT]
    clock.advance(hours=1)
    report = sweep(bot)
    assert (report.released, report.assigned) == (1, 1)
    assert assignees(bot) == [AGENT2]
    assert f"Auto-assigned to <@{AGENT2}>: round robin." in triage_notes(fake)[-1]
    clock.advance(hours=1)  # AGENT2 does not answer either: back to AGENT
    sweep(bot)
    assert assignees(bot) == [AGENT]


def test_two_replicas_release_a_claim_exactly_once(start_deskbot, fake, clock):
    first, second = two_replicas(start_deskbot, routed(claim_timeout="1h"))
    for n in range(6):
        ask(first, clock, f"Question {n}")
    clock.advance(hours=1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(sweep, [first, second, first, second]))
    assert sum(r.released for r in reports) == 6
    assert len(activity(first, "claim_released")) == 6
    released_notes = [n for n in triage_notes(fake) if "was released" in n]
    assert len(released_notes) == 6


def test_routing_never_speaks_in_a_shared_channel(start_deskbot, fake, clock):
    bot = start_deskbot(routed(claim_timeout="1h"), triage_channel=SHARED_TRIAGE)
    root = ask(bot, clock)
    ticket_cmd(bot, "away", user=AGENT2, channel=HELP)
    clock.advance(hours=1)
    sweep(bot)
    assert len(activity(bot, "claim_released")) == 1  # the routing itself happened
    for channel in (HELP, SHARED_TRIAGE):
        assert [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == channel] == []
        assert [c for c in fake.calls_to("chat.update") if c.args["channel"] == channel] == []
    assert fake.reactions(HELP, root) == ["ticket"]
    for ephemeral in fake.ephemerals(HELP):
        assert ephemeral["user"] == AGENT2


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"routing": {"mode": "fastest"}}, "routing.mode"),
        ({"routing": {"claim_timout": "2h"}}, "unknown key 'routing.claim_timout'"),
        ({"routing": {"channels": {HELP: {"pool": []}}}}, f"routing.channels.{HELP}.pool"),
        ({"routing": {"claim_timeout": "soon"}}, "routing.claim_timeout"),
    ],
)
def test_routing_config_is_checked_by_name(config, message):
    from bot.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match=message):
        parse_config(config)


def test_routing_shorthand():
    from bot.config import parse_config

    routing = parse_config({"routing": "least_loaded"}).routing
    assert routing.mode_for(HELP) == "least_loaded" and routing.claim_timeout is None
