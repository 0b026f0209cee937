"""Grouping: a customer's burst of top-level messages is one ticket, decided on Slack ts.

Over real HTTP on SQLite and PostgreSQL: bursts, the window's edge, two customers at
once, racing deliveries, redelivery, out-of-order arrival, small talk, replies under a
grouped message, and what the customer sees (one :ticket:, one suggestion, no chatter).
"""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.clock import ts_to_datetime
from bot.config import ConfigError, parse_config
from store.models import Activity, Ticket, TicketStatus
from tests.conftest import ACME, AGENT, CUSTOMER, CUSTOMER2, HELP, TRIAGE
from tests.scenarios.test_intake import mark_resolved
from tests.scenarios.test_suggestions import kb_dir  # noqa: F401  (fixture)
from tests.support.harness import RunningBot


@pytest.fixture
def bot(start_deskbot) -> RunningBot:
    """deskbot with the default two-minute grouping window."""
    return start_deskbot(intake={"reaction": "ticket", "group_window": "2m"})


def at(base: str, seconds: float) -> str:
    """A Slack ts `seconds` after `base`."""
    return f"{Decimal(base) + Decimal(str(seconds)):.6f}"


def event(text: str, ts: str, user: str = CUSTOMER, channel: str = HELP) -> dict:
    """A top-level message event from a customer of ACME."""
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "team": ACME,
        "user_team": ACME,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }


def say(bot: RunningBot, text: str, ts: str, user: str = CUSTOMER, **kwargs: object) -> None:
    """Deliver one message and wait until deskbot is done with it."""
    assert bot.driver.event(event(text, ts, user), **kwargs).status == 200
    bot.drain()


def live(bot: RunningBot) -> list[Ticket]:
    """Tickets that are not merged into another."""
    return [t for t in bot.tickets() if t.merged_into_id is None]


def actions(bot: RunningBot, ticket_id: int) -> list[str]:
    with bot.session() as session:
        rows = session.exec(
            select(Activity).where(Activity.ticket_id == ticket_id).order_by(Activity.id)
        )
        return [a.action for a in rows]


def card_text(fake) -> str:
    """The triage card as it stands (last post or update)."""
    updates = fake.calls_to("chat.update")
    return str(updates[-1].args["blocks"] if updates else fake.messages(TRIAGE)[-1]["blocks"])


def bot_posts_in_help(fake) -> list[dict]:
    return [c.args for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == HELP]


def test_a_burst_of_messages_is_one_ticket_with_one_reaction(bot, fake):
    base = bot.driver.next_ts()
    say(bot, "hi", base)  # small talk: opens nothing
    say(bot, "quick question", at(base, 10))
    say(bot, "the nightly report export stops at 99 percent since this morning", at(base, 20))

    [ticket] = bot.tickets()
    assert ticket.root_ts == at(base, 10)
    assert ticket.subject.startswith("the nightly report export")  # says more than the root
    assert ticket.created_at == ts_to_datetime(at(base, 10))
    assert ticket.last_customer_message_at == ts_to_datetime(at(base, 20))
    assert {m.ts for m in bot.messages()} == {at(base, 10), at(base, 20)}
    assert {m.ticket_id for m in bot.messages()} == {ticket.id}
    assert fake.reactions(HELP, at(base, 10)) == ["ticket"]
    assert fake.reactions(HELP, at(base, 20)) == []
    assert len(fake.messages(TRIAGE)) == 1  # one card, updated in place
    card = card_text(fake)
    assert "quick question" in card and "stops at 99 percent" in card
    assert "Conversation* (2 messages)" in card
    assert actions(bot, ticket.id) == ["created", "grouped"]
    # Nothing about grouping in the shared channel (the export article, suggested for the
    # message that says what the ticket is about, is the only post there).
    assert [p for p in bot_posts_in_help(fake) if "I still need help" not in str(p)] == []


def test_the_window_chains_and_ends(bot):
    base = bot.driver.next_ts()
    say(bot, "first part of a long story about imports", base)
    say(bot, "second part of the story", at(base, 100))
    say(bot, "third part of the story", at(base, 200))  # 100 s after the second: chained
    say(bot, "a new question after lunch about invoices", at(base, 400))  # 200 s later

    tickets = bot.tickets()
    assert [t.root_ts for t in tickets] == [base, at(base, 400)]
    assert len([m for m in bot.messages() if m.ticket_id == tickets[0].id]) == 3


def test_two_customers_in_one_window_get_two_tickets(bot, fake):
    base = bot.driver.next_ts()
    say(bot, "our dashboard shows no data at all", base)
    say(bot, "same for us, the dashboard is empty", at(base, 2), user=CUSTOMER2)
    say(bot, "and the charts are gone too", at(base, 4))

    tickets = bot.tickets()
    assert [(t.customer_id, t.root_ts) for t in tickets] == [
        (CUSTOMER, base),
        (CUSTOMER2, at(base, 2)),
    ]
    assert fake.reactions(HELP, base) == ["ticket"]
    assert fake.reactions(HELP, at(base, 2)) == ["ticket"]


def test_racing_messages_make_one_ticket_per_customer(bot, fake):
    base = bot.driver.next_ts()
    burst = [event(f"message {n} of carla", at(base, n)) for n in range(4)]
    burst += [event(f"message {n} of dmitri", at(base, n + 0.5), CUSTOMER2) for n in range(4)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda e: bot.driver.event(e).status, burst))
    bot.drain()

    assert set(statuses) == {200}
    tickets = live(bot)
    assert sorted(t.customer_id for t in tickets) == [CUSTOMER, CUSTOMER2]
    for ticket in tickets:
        mine = [m for m in bot.messages() if m.ticket_id == ticket.id]
        assert len(mine) == 4
        assert ticket.created_at == min(m.sent_at for m in mine)  # Slack time, not arrival
    assert len(bot.messages()) == 8
    assert len(fake.calls_to("reactions.add")) + len(fake.calls_to("reactions.remove")) >= 2
    reacted = [m.ts for m in bot.messages() if fake.reactions(HELP, m.ts)]
    assert len(reacted) == 2  # one :ticket: per conversation


def test_redelivered_grouped_message_changes_nothing(bot, fake):
    base = bot.driver.next_ts()
    say(bot, "the importer rejects our file", base)
    second = event("it says the header row is wrong", at(base, 5))
    for event_id, retry in (("Ev0G1", None), ("Ev0G1", 1), ("Ev0G2", None)):
        assert bot.driver.event(second, event_id=event_id, retry_num=retry).status == 200
    bot.drain()

    [ticket] = bot.tickets()
    assert len(bot.messages()) == 2
    assert actions(bot, ticket.id) == ["created", "grouped"]
    assert len(fake.calls_to("reactions.add")) == 1


def test_out_of_order_arrival_groups_the_same(bot, fake):
    base = bot.driver.next_ts()
    say(bot, "the second message, delivered first", at(base, 30))
    say(bot, "the first message of the story, delivered late", base)

    [ticket] = bot.tickets()
    assert ticket.root_ts == at(base, 30)  # where the :ticket: already is
    assert ticket.created_at == ts_to_datetime(base)  # but the clock starts at the first
    blocks = fake.calls_to("chat.update")[-1].args["blocks"]
    [conversation] = [b["text"]["text"] for b in blocks if b.get("block_id") == "conversation"]
    assert conversation.index("delivered late") < conversation.index("delivered first")


def test_a_late_message_bridging_two_tickets_folds_them_into_the_earlier(bot, fake):
    base = bot.driver.next_ts()
    say(bot, "part three arrives first", at(base, 140))  # #1
    say(bot, "part one arrives second", base)  # 140 s apart: #2
    assert len(bot.tickets()) == 2
    say(bot, "part two arrives last and links them", at(base, 70))

    [survivor] = live(bot)
    folded = next(t for t in bot.tickets() if t.merged_into_id is not None)
    assert survivor.root_ts == base and survivor.created_at == ts_to_datetime(base)
    assert folded.root_ts == at(base, 140) and folded.status == TicketStatus.CLOSED
    assert folded.merged_into_id == survivor.id
    assert {m.ticket_id for m in bot.messages()} == {survivor.id}
    assert fake.reactions(HELP, base) == ["ticket"]
    assert fake.reactions(HELP, at(base, 140)) == []  # one conversation, one :ticket:
    assert "merged" in actions(bot, survivor.id) and "merged_into" in actions(bot, folded.id)
    assert bot_posts_in_help(fake) == []  # no word about it in the customer's channel
    assert "Merged into *#2" in str(fake.calls_to("chat.update")[-2:])


def test_small_talk_joins_only_a_conversation_it_follows(bot):
    base = bot.driver.next_ts()
    say(bot, "the webhook delivery log is empty today", at(base, 10))
    say(bot, "hello", base)  # before the question (arrived late): still nothing
    say(bot, "thanks!", at(base, 40))  # after it: part of the conversation

    [ticket] = bot.tickets()
    assert {m.text for m in bot.messages()} == {
        "the webhook delivery log is empty today",
        "thanks!",
    }
    assert ticket.last_customer_message_at == ts_to_datetime(at(base, 10))  # thanks asks nothing


def test_resolved_conversation_is_not_joined(bot):
    base = bot.driver.next_ts()
    say(bot, "the calendar sync stopped working", base)
    mark_resolved(bot, 1)
    say(bot, "also the contacts sync is stuck", at(base, 30))
    assert [t.root_ts for t in bot.tickets()] == [base, at(base, 30)]


def test_replies_under_a_grouped_message_belong_to_the_ticket(bot):
    base = bot.driver.next_ts()
    say(bot, "our exports are corrupted since the update", base)
    say(bot, "here are the details of the corrupted export", at(base, 5))
    answer = bot.driver.message(
        channel=HELP, user=AGENT, text="Looking at it", thread_ts=at(base, 5), ts=at(base, 60)
    )
    bot.drain()
    [ticket] = bot.tickets()
    assert ticket.first_response_at == ts_to_datetime(answer.ts)
    assert {m.ticket_id for m in bot.messages()} == {ticket.id}


def test_editing_a_grouped_message_keeps_the_subject(bot, fake):
    base = bot.driver.next_ts()
    say(bot, "printing invoices fails", base)
    say(bot, "with a blank page", at(base, 5))
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": HELP,
        "hidden": True,
        "ts": at(base, 50),
        "event_ts": at(base, 50),
        "message": {
            "type": "message",
            "user": CUSTOMER,
            "team": ACME,
            "ts": at(base, 5),
            "text": "with a blank page in Firefox",
            "edited": {"user": CUSTOMER, "ts": at(base, 50)},
        },
    }
    assert bot.driver.event(edit).status == 200
    bot.drain()
    assert bot.ticket(1).subject == "printing invoices fails"
    assert "blank page in Firefox" in card_text(fake)


def test_suggestion_is_offered_once_when_the_conversation_grows(start_deskbot, kb_dir, fake):  # noqa: F811
    bot = start_deskbot(
        knowledge_dir=str(kb_dir),
        suggestions={"max": 3, "min_score": 40},
        intake={"reaction": "ticket", "group_window": "2m"},
    )
    base = bot.driver.next_ts()
    say(bot, "good morning team, quick one", base)
    assert bot_posts_in_help(fake) == []  # nothing fits yet
    say(bot, "How do I reset my password? I forgot it", at(base, 8))
    say(bot, "I forgot my password and cannot log in", at(base, 16))

    posts = bot_posts_in_help(fake)
    assert len(posts) == 1 and posts[0]["thread_ts"] == base
    assert "Reset your password" in str(posts[0]["blocks"])
    assert len(bot.tickets()) == 1


def test_group_window_is_configurable_and_can_be_off(start_deskbot):
    bot = start_deskbot(intake={"group_window": "10s"})
    base = bot.driver.next_ts()
    say(bot, "the mobile app crashes on launch", base)
    say(bot, "on Android 14 only", at(base, 8))
    say(bot, "and now the web app is slow too", at(base, 30))
    assert len(bot.tickets()) == 2


def test_deleting_a_grouped_message_drops_it_from_the_card(bot, fake):
    base = bot.driver.next_ts()
    say(bot, "the sandbox environment is down", base)
    say(bot, "my API key is sk-live-123, sorry", at(base, 5))
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": HELP,
        "ts": at(base, 9),
        "deleted_ts": at(base, 5),
        "event_ts": at(base, 9),
    }
    assert bot.driver.event(deleted).status == 200
    bot.drain()
    ticket = bot.ticket(1)
    assert actions(bot, ticket.id)[-1] == "message_deleted"
    assert ticket.subject == "the sandbox environment is down"
    assert "sk-live" not in card_text(fake)


def test_group_window_config():
    assert parse_config({}).intake.group_window.total_seconds() == 120
    assert parse_config({"intake": {"group_window": "90s"}}).intake.group_window.seconds == 90
    assert parse_config({"intake": {"group_window": None}}).intake.group_window is None
    with pytest.raises(ConfigError, match=r"intake\.group_window"):
        parse_config({"intake": {"group_window": "soon"}})
    with pytest.raises(ConfigError, match=r"unknown key 'intake\.group'"):
        parse_config({"intake": {"group": "2m"}})
