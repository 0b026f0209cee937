"""The card and `/ticket show` say what is late, and what is done, as it is now."""

import json

import pytest

from bot.clock import datetime_to_ts
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, TRIAGE
from tests.scenarios.test_tickets import answer_text
from tests.support.harness import MutableClock, RunningBot

CONFIG = {
    "sla_policies": [{"name": "standard", "first_response": "1h", "resolution": "1d"}],
    "suggestions": {"max": 0},
}


@pytest.fixture
def bot(start_deskbot) -> RunningBot:
    return start_deskbot(CONFIG)


def ask(bot: RunningBot, clock: MutableClock, text: str = "Sync is stuck") -> str:
    ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=text, ts=ts)
    bot.drain()
    clock.advance(seconds=1)
    return ts


def card(fake) -> str:
    """The triage card as it stands (the last post or update), as text."""
    updates = fake.calls_to("chat.update")
    blocks = updates[-1].args["blocks"] if updates else fake.messages(TRIAGE)[-1]["blocks"]
    return blocks if isinstance(blocks, str) else json.dumps(blocks)


def command(bot: RunningBot, text: str) -> str:
    response = bot.driver.command("/ticket", text, user=AGENT, channel=TRIAGE)
    bot.drain()
    return answer_text(response)


def test_a_breach_shows_on_the_card_and_in_show(bot, fake, clock):
    root = ask(bot, clock)
    assert "_waiting_" in card(fake)
    clock.advance(hours=7, minutes=5)
    bot.app.runtime.deps.sweeper.sweep()
    bot.drain()
    now = card(fake)  # refreshed by the sweep, not by a change to the ticket
    assert "overdue by 6h 5m" in now and "_waiting_" not in now
    assert "overdue by 6h 5m" in command(bot, "show #1")

    bot.driver.message(
        channel=HELP, user=AGENT, text="On it", thread_ts=root, ts=datetime_to_ts(clock.now)
    )
    bot.drain()
    assert "late by 6h 5m" in card(fake)
    assert "late by 6h 5m" in command(bot, "show #1")


def test_done_tickets_are_not_waiting(bot, fake, clock):
    ask(bot, clock)
    command(bot, "resolve #1")
    assert "_waiting_" not in card(fake) and "resolved without a reply" in card(fake)
    ask(bot, clock, "Another one")
    ask(bot, clock, "The same one again")
    command(bot, "merge #2 #3")  # #3 folds into #2
    clock.advance(hours=3)
    shown = command(bot, "show #3")
    assert "none here: merged" in shown and "overdue" not in shown and "_waiting_" not in shown
    merged_card = next(
        c.args["blocks"]
        for c in reversed(fake.calls_to("chat.update"))
        if c.args["ts"] == bot.ticket(3).triage_ts
    )
    assert "none here: merged" in str(merged_card)
