"""A ticket made from an existing thread pulls in the replies already there, once."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlmodel import select

from bot.clock import ts_to_datetime
from store.models import Activity, AuthorRole
from tests.conftest import ACME, AGENT, AGENT2, CUSTOMER, HELP, RANDOM, TRIAGE
from tests.scenarios.test_tickets import reaction
from tests.support.harness import RunningBot


def at(base: str, seconds: float) -> str:
    return f"{Decimal(base) + Decimal(str(seconds)):.6f}"


def seed_thread(fake, base: str, replies: int) -> list[str]:
    """A customer question in RANDOM with `replies` replies, alternating customer and agent."""
    fake.seed_message(RANDOM, base, CUSTOMER, "Our SSO login fails with error 42")
    tss = []
    for n in range(replies):
        ts = at(base, n + 1)
        user = AGENT if n % 2 else CUSTOMER
        fake.seed_message(RANDOM, ts, user, f"reply {n}", thread_ts=base)
        tss.append(ts)
    fake.seed_message(
        RANDOM, at(base, replies + 1), "UOTHERBOT", "automated", thread_ts=base, bot_id="B0X"
    )
    return tss


def test_ticket_reaction_pulls_in_every_page_of_replies(deskbot, fake):
    base = deskbot.driver.next_ts()
    replies = seed_thread(fake, base, 250)  # more than one conversations.replies page

    reaction(deskbot, "ticket", AGENT, RANDOM, base)

    [ticket] = deskbot.tickets()
    messages = deskbot.messages()
    assert len(messages) == 251  # root and every human reply, no bot
    assert {m.ticket_id for m in messages} == {ticket.id}
    by_ts = {m.ts: m for m in messages}
    assert by_ts[replies[0]].role == AuthorRole.CUSTOMER
    assert by_ts[replies[1]].role == AuthorRole.AGENT
    assert by_ts[replies[1]].sent_at == ts_to_datetime(replies[1])  # Slack time
    assert ticket.created_at == ts_to_datetime(base)
    assert ticket.first_response_at == ts_to_datetime(replies[1])
    assert ticket.first_responder_id == AGENT
    assert ticket.last_agent_message_at == ts_to_datetime(replies[-1])
    assert ticket.last_customer_message_at == ts_to_datetime(replies[-2])
    pages = fake.calls_to("conversations.replies")
    assert len(pages) == 2 and pages[1].args.get("cursor")


def test_pulling_in_is_idempotent(deskbot, fake):
    base = deskbot.driver.next_ts()
    seed_thread(fake, base, 3)
    event = {
        "type": "reaction_added",
        "user": AGENT,
        "reaction": "ticket",
        "item_user": CUSTOMER,
        "item": {"type": "message", "channel": RANDOM, "ts": base},
        "event_ts": deskbot.driver.next_ts(),
    }
    deskbot.driver.event(event, event_id="Ev0T1")
    deskbot.driver.event(event, event_id="Ev0T1", retry_num=1)  # redelivery
    deskbot.drain()
    reaction(deskbot, "ticket", AGENT2, RANDOM, base)  # another agent, same thread
    reaction(deskbot, "ticket", AGENT2, RANDOM, at(base, 2))  # on a reply of it

    assert len(deskbot.tickets()) == 1 and len(deskbot.messages()) == 4
    assert len(fake.messages(TRIAGE)) == 1
    with deskbot.session() as session:
        opened = session.exec(select(Activity).where(Activity.action == "opened_by_reaction"))
        assert len(opened.all()) == 1


def test_replies_held_before_the_ticket_are_not_doubled(deskbot, fake):
    base = deskbot.driver.next_ts()
    fake.seed_message(HELP, base, CUSTOMER, "hi all")  # small talk: no ticket
    fake.seed_message(HELP, at(base, 1), CUSTOMER, "the importer crashes", thread_ts=base)
    deskbot.driver.message(
        channel=HELP,
        user=CUSTOMER,
        team=ACME,
        text="the importer crashes",
        ts=at(base, 1),
        thread_ts=base,
    )
    deskbot.drain()  # held: a reply in a support channel whose thread has no ticket

    reaction(deskbot, "ticket", AGENT, HELP, base)  # the human decides it is a ticket

    [ticket] = deskbot.tickets()
    assert sorted(m.ts for m in deskbot.messages()) == [base, at(base, 1)]
    assert {m.ticket_id for m in deskbot.messages()} == {ticket.id}


def claim_shortcut(bot: RunningBot, channel: str, message: dict, user: str = AGENT) -> None:
    payload = {
        "type": "message_action",
        "callback_id": "claim_ticket",
        "trigger_id": "1.2.3",
        "message_ts": message["ts"],
        "response_url": "https://hooks.slack.com/x",
        "team": {"id": "T0HOME", "domain": "home"},
        "channel": {"id": channel, "name": channel.lower()},
        "user": {"id": user, "name": user.lower(), "team_id": "T0HOME"},
        "token": "t",
        "action_ts": "1.1",
        "is_enterprise_install": False,
        "message": message,
    }
    assert bot.driver.action(payload).status == 200
    bot.drain()


def test_claiming_a_reply_of_a_thread_without_ticket_makes_and_claims_it(deskbot, fake):
    base = deskbot.driver.next_ts()
    replies = seed_thread(fake, base, 4)
    reply = {"type": "message", "user": CUSTOMER, "text": "reply 2", "ts": replies[2]}
    claim_shortcut(deskbot, RANDOM, {**reply, "thread_ts": base})

    [ticket] = deskbot.tickets()
    assert ticket.root_ts == base and ticket.assignee_id == AGENT
    assert len(deskbot.messages()) == 5
    assert ticket.first_response_at == ts_to_datetime(replies[1])
    assert "You claimed #1" in fake.ephemerals(RANDOM, AGENT)[-1]["text"]
    assert len(fake.messages(TRIAGE)) == 1

    claim_shortcut(deskbot, RANDOM, {**reply, "thread_ts": base}, user=AGENT2)
    assert len(deskbot.tickets()) == 1
    assert "already claimed" in fake.ephemerals(RANDOM, AGENT2)[-1]["text"]


def test_a_bot_thread_cannot_become_a_ticket(deskbot, fake):
    base = deskbot.driver.next_ts()
    fake.seed_message(RANDOM, base, "UOTHERBOT", "Deploy finished", bot_id="B0X")
    claim_shortcut(deskbot, RANDOM, {"type": "message", "text": "Deploy", "ts": base})
    assert deskbot.tickets() == []
    assert "cannot become a ticket" in fake.ephemerals(RANDOM, AGENT)[-1]["text"]


def test_racing_ticket_reactions_make_one_ticket(deskbot, fake):
    base = deskbot.driver.next_ts()
    seed_thread(fake, base, 6)
    events = [
        {
            "type": "reaction_added",
            "user": agent,
            "reaction": "ticket",
            "item_user": CUSTOMER,
            "item": {"type": "message", "channel": RANDOM, "ts": base},
            "event_ts": deskbot.driver.next_ts(),
        }
        for agent in (AGENT, AGENT2, AGENT, AGENT2)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(lambda e: deskbot.driver.event(e).status, events)) == {200}
    deskbot.drain()
    assert len(deskbot.tickets()) == 1 and len(deskbot.messages()) == 7
    assert len(fake.messages(TRIAGE)) == 1
