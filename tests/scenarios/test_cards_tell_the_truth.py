"""The card and `/ticket show` say what is late, and what is done, as it is now."""

import json

import pytest

from bot.clock import datetime_to_ts
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, LEAD, TRIAGE
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
    # The card stays posted: Slack renders {ago} ("6 hours ago") as it is read.
    assert "*overdue* since <!date^" in now and "({ago})" in now and "_waiting_" not in now
    assert "overdue by" not in now  # a snapshot that would soon lie
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


def open_home(bot: RunningBot, fake, user: str) -> list[dict]:
    """Open the App Home tab as `user`; the published view's blocks."""
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home",
             "event_ts": bot.driver.next_ts()}  # fmt: skip
    bot.driver.event(event)
    bot.drain()
    view = fake.home_view(user)
    assert view is not None and len(view["blocks"]) <= 100
    return view["blocks"]


def sections(blocks: list[dict]) -> dict[str, str]:
    """Each header of the home tab with the text of the blocks under it."""
    found: dict[str, str] = {}
    title = ""
    for block in blocks:
        if block["type"] == "header":
            title = block["text"]["text"]
            found[title] = ""
        elif title:
            found[title] += json.dumps(block)
    return found


def test_home_splits_overdue_from_due_soon_once_per_ticket(start_deskbot, fake, clock):
    bot = start_deskbot({**CONFIG, "sla_policies": [
        {"name": "standard", "first_response": "1h", "resolution": "2h"}]})  # fmt: skip
    ask(bot, clock, "Sync is stuck")
    command(bot, "claim #1")
    clock.advance(hours=1, minutes=30)
    ask(bot, clock, "Export fails")
    clock.advance(minutes=40)  # #1: both targets passed; #2: first response due in 20m

    agent = sections(open_home(bot, fake, AGENT))
    assert "Overdue (1)" in agent and "Due soon (1)" in agent
    assert "*#1*" in agent["Overdue (1)"] and "overdue by 1h 10m" in agent["Overdue (1)"]
    assert "*#2*" in agent["Due soon (1)"] and "due in 19m" in agent["Due soon (1)"]
    assert "*#1*" in agent["Mine (1)"] and f"<@{AGENT}>" not in agent["Mine (1)"]

    lead = json.dumps(open_home(bot, fake, LEAD))
    assert "*Breaching now* (1)" in lead  # one ticket, two late targets
    assert "first response and resolution" in lead
