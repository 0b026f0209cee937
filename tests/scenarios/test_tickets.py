"""Agents work tickets from Slack: /ticket over signed HTTP, on SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from store.models import Activity, TicketStatus
from tests.conftest import (
    ACME,
    AGENT,
    AGENT2,
    COLLEAGUE,
    CUSTOMER,
    GROUP_AGENT,
    HELP,
    LEAD,
    TRIAGE,
)
from tests.support.harness import RunningBot


def open_ticket(bot: RunningBot, text: str = "Invoices page is blank") -> str:
    """A customer question that becomes the next ticket; returns the root ts."""
    response = bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=text)
    bot.drain()
    assert response.ts is not None
    return response.ts


def ticket_cmd(bot: RunningBot, text: str, user: str = AGENT, channel: str = TRIAGE) -> str:
    """Run `/ticket text` as `user` and return the ephemeral answer's text."""
    response = bot.driver.command("/ticket", text, user=user, channel=channel)
    bot.drain()
    assert response.status == 200
    return answer_text(response)


def answer_text(response) -> str:
    """The ephemeral answer: Bolt sends bare text as text/plain, blocks as JSON."""
    if "json" not in response.headers.get("content-type", ""):
        return response.body
    body = response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    return body.get("text", "") + str(body.get("blocks", ""))


def activity(bot: RunningBot) -> list[tuple[str, str | None]]:
    """(action, actor) of every audit-trail entry."""
    with bot.session() as session:
        return [
            (a.action, a.actor_id) for a in session.exec(select(Activity).order_by(Activity.id))
        ]


def test_claim_assigns_and_updates_triage_card(deskbot, fake):
    open_ticket(deskbot)
    assert "You claimed #1" in ticket_cmd(deskbot, "claim #1")
    ticket = deskbot.ticket(1)
    assert (ticket.assignee_id, ticket.status) == (AGENT, TicketStatus.OPEN)
    card = fake.calls_to("chat.update")[-1]
    assert card.args["ts"] == ticket.triage_ts and f"Assigned to <@{AGENT}>" in str(card.args)
    assert ("claimed", AGENT) in activity(deskbot)


def test_claiming_a_held_ticket_says_who_holds_it(deskbot):
    open_ticket(deskbot)
    ticket_cmd(deskbot, "claim 1", user=AGENT)
    answer = ticket_cmd(deskbot, "claim #1", user=AGENT2)
    assert f"already claimed by <@{AGENT}>" in answer
    assert deskbot.ticket(1).assignee_id == AGENT


def test_simultaneous_claims_exactly_one_wins(deskbot):
    for _ in range(4):
        open_ticket(deskbot)
    contenders = [AGENT, AGENT2, GROUP_AGENT, LEAD]

    def claim(args: tuple[int, str]) -> str:
        number, user = args
        return answer_text(deskbot.driver.command("/ticket", f"claim #{number}", user=user))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(claim, [(n, u) for n in range(1, 5) for u in contenders]))
    deskbot.drain()
    for number in range(1, 5):
        mine = answers[(number - 1) * 4 : number * 4]
        assert sum("You claimed" in a for a in mine) == 1, mine
        assert sum("already claimed by" in a for a in mine) == 3, mine
        winner = contenders[next(i for i, a in enumerate(mine) if "You claimed" in a)]
        assert deskbot.ticket(number).assignee_id == winner
    assert sum(action == "claimed" for action, _ in activity(deskbot)) == 4


def test_full_workflow_is_in_the_activity_log(deskbot, fake):
    open_ticket(deskbot)
    ticket_cmd(deskbot, f"assign #1 <@{AGENT2}|ben>")
    assert deskbot.ticket(1).assignee_id == AGENT2
    ticket_cmd(deskbot, "pending #1")
    assert deskbot.ticket(1).status == TicketStatus.PENDING
    ticket_cmd(deskbot, "priority #1 URGENT")
    ticket_cmd(deskbot, "type #1 Billing ")
    assert "already `billing`" in ticket_cmd(deskbot, "type #1 billing")
    ticket_cmd(deskbot, "link #1 <https://tracker.example.com/BUG-7>")
    ticket_cmd(deskbot, "note #1 customer is on the legacy plan")
    ticket_cmd(deskbot, "resolve #1 fixed by clearing the cache")
    ticket = deskbot.ticket(1)
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_at is not None
    ticket_cmd(deskbot, "reopen #1")
    ticket_cmd(deskbot, "unassign #1")
    ticket = deskbot.ticket(1)
    assert (ticket.status, ticket.assignee_id, ticket.priority) == (
        TicketStatus.NEW,
        None,
        "urgent",
    )

    shown = ticket_cmd(deskbot, "show #1")
    for expected in (
        "`billing`",
        "https://tracker.example.com/BUG-7",
        "legacy plan",
        "urgent",
        "assigned",
        "pending",
        "resolved",
        "reopened",
        "unassigned",
        "typed",
    ):
        assert expected in shown, expected
    assert [a for a, _ in activity(deskbot)] == [
        "created",
        "assigned",
        "pending",
        "priority",
        "typed",
        "linked",
        "note",
        "resolved",
        "csat_asked",  # the customer is asked for a rating once, on the first resolve
        "reopened",
        "unassigned",
    ]
    thread = [m["text"] for m in fake.messages(TRIAGE) if m.get("thread_ts")]
    assert any("legacy plan" in text for text in thread)  # the note went to the triage thread


def test_list_queues(deskbot):
    for _ in range(3):
        open_ticket(deskbot)
    ticket_cmd(deskbot, "claim #1")
    ticket_cmd(deskbot, "claim #2", user=AGENT2)
    ticket_cmd(deskbot, "pending #2", user=AGENT2)
    assert "#1" in ticket_cmd(deskbot, "list mine") and "#2" not in ticket_cmd(deskbot, "list mine")
    unassigned = ticket_cmd(deskbot, "list unassigned")
    assert "#3" in unassigned and "#1" not in unassigned
    assert "#2" in ticket_cmd(deskbot, "list pending")
    assert "No tickets in *breaching*" in ticket_cmd(deskbot, "list breaching")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate #1", "Unknown command `frobnicate`"),
        ("claim", "needs a ticket number"),
        ("resolve #abc", "`#abc` is not a ticket number"),
        ("show #999", "There is no ticket #999"),
        ("assign #1 #random", "`#random` is not a person"),
        ("assign #1 <!subteam^S0SUPPORT|support>", "is not a person"),
        (f"assign #1 <@{CUSTOMER}>", "is not an agent"),
        ("priority #1 asap", "Priority is one of"),
        ("note #1", "Usage: `/ticket note #N <text>`"),
        ("list everything", "`list` takes one of"),
        ("type #1 " + "x" * 80, "A type is 1 to 64 characters"),
    ],
)
def test_bad_input_gets_usage_and_changes_nothing(deskbot, fake, text, expected):
    open_ticket(deskbot)
    before = activity(deskbot)
    updates = len(fake.calls_to("chat.update"))
    assert expected in ticket_cmd(deskbot, text)
    assert activity(deskbot) == before
    assert deskbot.ticket(1).assignee_id is None
    assert len(fake.calls_to("chat.update")) == updates


def test_help_lists_every_command(deskbot):
    answer = ticket_cmd(deskbot, "help")
    for word in (
        "claim",
        "assign",
        "unassign",
        "pending",
        "resolve",
        "reopen",
        "priority",
        "type",
        "link",
        "note",
        "show",
        "list",
    ):
        assert f"`{word}" in answer
    assert ticket_cmd(deskbot, "") == answer


@pytest.mark.parametrize("user", [CUSTOMER, COLLEAGUE])
def test_non_agents_are_refused_politely(deskbot, user):
    open_ticket(deskbot)
    before = activity(deskbot)
    assert "Only support agents" in ticket_cmd(deskbot, "claim #1", user=user, channel=HELP)
    assert activity(deskbot) == before and deskbot.ticket(1).assignee_id is None


def test_triage_card_buttons(deskbot, fake):
    open_ticket(deskbot)
    card = fake.messages(TRIAGE)[0]
    elements = {
        e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert elements == {"ticket_claim", "ticket_resolve", "ticket_priority"}

    press = deskbot.driver.block_action_payload(
        "ticket_claim", "1", user=AGENT, channel=TRIAGE, message_ts=card["ts"]
    )
    assert deskbot.driver.action(press).status == 200
    deskbot.drain()
    assert deskbot.ticket(1).assignee_id == AGENT

    select_priority = deskbot.driver.block_action_payload(
        "ticket_priority",
        None,
        user=AGENT,
        channel=TRIAGE,
        message_ts=card["ts"],
        action_type="static_select",
    )
    select_priority["actions"][0]["selected_option"] = {
        "value": "1:high",
        "text": {"type": "plain_text", "text": "high"},
    }
    deskbot.driver.action(select_priority)
    deskbot.drain()
    assert deskbot.ticket(1).priority == "high"

    deskbot.driver.action(
        deskbot.driver.block_action_payload(
            "ticket_resolve", "1", user=AGENT2, channel=TRIAGE, message_ts=card["ts"]
        )
    )
    deskbot.drain()
    assert deskbot.ticket(1).status == TicketStatus.RESOLVED
    card_now = fake.messages(TRIAGE)[0]
    actions = [
        e["action_id"] for b in card_now["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == ["ticket_reopen"]  # the card always shows the truth


def test_button_press_by_non_agent_changes_nothing(deskbot, fake):
    open_ticket(deskbot)
    card = fake.messages(TRIAGE)[0]
    deskbot.driver.action(
        deskbot.driver.block_action_payload(
            "ticket_claim", "1", user=COLLEAGUE, channel=TRIAGE, message_ts=card["ts"]
        )
    )
    deskbot.drain()
    assert deskbot.ticket(1).assignee_id is None
    [refusal] = fake.ephemerals(TRIAGE, COLLEAGUE)
    assert "Only support agents" in refusal["text"]


def reaction(bot: RunningBot, name: str, user: str, channel: str, ts: str) -> None:
    """Someone adds an emoji to a message."""
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item_user": CUSTOMER,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": bot.driver.next_ts(),
    }
    assert bot.driver.event(event).status == 200
    bot.drain()


def test_eyes_claims_and_check_mark_resolves(deskbot):
    root = open_ticket(deskbot)
    reaction(deskbot, "eyes", CUSTOMER, HELP, root)  # not an agent: just an emoji
    assert deskbot.ticket(1).assignee_id is None
    reaction(deskbot, "eyes", AGENT, HELP, root)
    assert deskbot.ticket(1).assignee_id == AGENT
    reaction(deskbot, "white_check_mark", CUSTOMER, HELP, root)
    assert deskbot.ticket(1).status == TicketStatus.OPEN
    reaction(deskbot, "white_check_mark", AGENT, HELP, root)
    assert deskbot.ticket(1).status == TicketStatus.RESOLVED


def test_ticket_emoji_makes_a_ticket_with_its_thread(deskbot, fake):
    root_ts, reply_ts = deskbot.driver.next_ts(), deskbot.driver.next_ts()
    fake.seed_message("C0RANDOM", root_ts, COLLEAGUE, "Can someone reset my 2FA?")
    fake.seed_message("C0RANDOM", reply_ts, AGENT, "On it", thread_ts=root_ts)
    reaction(deskbot, "ticket", COLLEAGUE, "C0RANDOM", root_ts)  # not an agent
    assert deskbot.tickets() == []

    reaction(deskbot, "ticket", AGENT, "C0RANDOM", root_ts)
    reaction(deskbot, "ticket", AGENT2, "C0RANDOM", root_ts)  # already a ticket: no second

    [ticket] = deskbot.tickets()
    assert (ticket.channel_id, ticket.root_ts, ticket.customer_id) == (
        "C0RANDOM",
        root_ts,
        COLLEAGUE,
    )
    assert {m.ts for m in deskbot.messages()} == {root_ts, reply_ts}
    assert ticket.first_response_at is not None
    assert len(fake.messages(TRIAGE)) == 1
    assert ("opened_by_reaction", AGENT) in activity(deskbot)


def test_app_home_shows_the_agents_queue(deskbot, fake):
    open_ticket(deskbot, "mine")
    open_ticket(deskbot, "nobody's")
    ticket_cmd(deskbot, "claim #1")
    deskbot.driver.event(
        {
            "type": "app_home_opened",
            "user": AGENT,
            "channel": "D0AGENT",
            "tab": "home",
            "event_ts": deskbot.driver.next_ts(),
        }
    )
    deskbot.drain()
    view = fake.home_view(AGENT)
    assert view is not None
    text = str(view["blocks"])
    assert (
        "Mine (1)" in text
        and "Unassigned (1)" in text
        and "Overdue (0)" in text
        and "Due soon (0)" in text
    )
    assert "*#1* mine" in text and "*#2* nobody" in text

    deskbot.driver.event(
        {
            "type": "app_home_opened",
            "user": CUSTOMER,
            "channel": "D0CUST",
            "tab": "home",
            "event_ts": deskbot.driver.next_ts(),
        }
    )
    deskbot.drain()
    assert "support desk" in str(fake.home_view(CUSTOMER)["blocks"])


def test_claim_shortcut_works_inside_a_ticket_thread(deskbot, fake):
    root = open_ticket(deskbot)
    reply = deskbot.driver.message(
        channel=HELP, user=CUSTOMER, team=ACME, text="more detail", thread_ts=root
    )
    deskbot.drain()
    payload = {
        "type": "message_action",
        "callback_id": "claim_ticket",
        "trigger_id": "1.2.3",
        "message_ts": reply.ts,
        "response_url": "https://hooks.slack.com/x",
        "team": {"id": "T0HOME", "domain": "home"},
        "channel": {"id": HELP, "name": "help"},
        "user": {"id": AGENT, "name": "ana", "team_id": "T0HOME"},
        "token": "t",
        "action_ts": "1.1",
        "is_enterprise_install": False,
        "message": {
            "type": "message",
            "user": CUSTOMER,
            "text": "more detail",
            "ts": reply.ts,
            "thread_ts": root,
        },
    }
    assert deskbot.driver.action(payload).status == 200
    deskbot.drain()
    assert deskbot.ticket(1).assignee_id == AGENT
    assert "You claimed #1" in fake.ephemerals(HELP, AGENT)[-1]["text"]

    payload["user"] = {"id": CUSTOMER, "name": "carla", "team_id": ACME}
    deskbot.driver.action(payload)
    deskbot.drain()
    assert "Only support agents" in fake.ephemerals(HELP, CUSTOMER)[-1]["text"]
