"""`/ticket merge #A #B` over HTTP: B folds into A, stays resolvable, and nothing leaks."""

import pytest
from sqlmodel import select

from store import conversations
from store.db import session_scope
from store.models import Activity, Message, TicketClaim, TicketLink, TicketStatus, TicketTag
from tests.conftest import ACME, AGENT, AGENT2, CUSTOMER, CUSTOMER2, HELP, INTERNAL_HELP, TRIAGE
from tests.scenarios.test_tickets import ticket_cmd
from tests.support.harness import RunningBot

GLOBEX = "T0GLOBEX"
GLOBEX_HELP = "C0GLOBEXHELP"
GINA = "UGLOBEX1"


def with_globex(start_deskbot, fake) -> RunningBot:
    """deskbot serving acme's and globex's shared channels."""
    fake.add_team(GLOBEX, "globex")
    fake.add_channel(GLOBEX_HELP, "help-globex", is_ext_shared=True)
    fake.add_user(GINA, "gina", team_id=GLOBEX)
    return start_deskbot(
        support_channels=[HELP, INTERNAL_HELP, GLOBEX_HELP],
        sla_policies=[{"name": "standard", "first_response": "1h", "resolution": "1d"}],
    )


@pytest.fixture
def bot(start_deskbot, fake) -> RunningBot:
    """deskbot serving acme's and globex's shared channels."""
    return with_globex(start_deskbot, fake)


def ask(
    bot: RunningBot, text: str, *, channel: str = HELP, user: str = CUSTOMER, team=ACME, **extra
) -> str:
    """A top-level question; returns its ts."""
    response = bot.driver.message(channel=channel, user=user, team=team, text=text, **extra)
    bot.drain()
    assert response.ts is not None
    return response.ts


def reply(bot: RunningBot, channel: str, root: str, user: str, team: str, text: str) -> str:
    response = bot.driver.message(channel=channel, user=user, team=team, text=text, thread_ts=root)
    bot.drain()
    assert response.ts is not None
    return response.ts


def two_reports(bot: RunningBot) -> tuple[str, str]:
    """#1 from acme, #2 from globex (with a reply, a tag and a link)."""
    acme = ask(bot, "Webhooks stopped firing an hour ago")
    globex = ask(
        bot, "Our webhooks are not firing anymore", channel=GLOBEX_HELP, user=GINA, team=GLOBEX
    )
    reply(bot, GLOBEX_HELP, globex, GINA, GLOBEX, "Since 10:05 UTC")
    ticket_cmd(bot, "type #2 webhooks")
    ticket_cmd(bot, "link #2 BUG-77")
    return acme, globex


def activity(bot: RunningBot, number: int) -> list[Activity]:
    with bot.session() as session:
        ticket_id = bot.ticket(number).id
        return list(
            session.exec(
                select(Activity).where(Activity.ticket_id == ticket_id).order_by(Activity.id)
            )
        )


def test_merge_folds_b_into_a(bot, fake):
    _, globex_root = two_reports(bot)

    answer = ticket_cmd(bot, "merge #1 #2")

    assert answer == "Merged #2 (globex) into #1 (acme) (2 messages moved)."
    first, second = bot.ticket(1), bot.ticket(2)
    assert second.status == TicketStatus.CLOSED and second.merged_into_id == first.id
    assert second.merged_at is not None and second.customer_team_id == GLOBEX  # kept for KPIs
    assert first.status == TicketStatus.NEW and first.merged_into_id is None
    assert {m.ticket_id for m in bot.messages()} == {first.id}
    with bot.session() as session:
        assert session.exec(select(TicketTag.tag).where(TicketTag.ticket_id == first.id)).all() == [
            "webhooks"
        ]
        links = session.exec(select(TicketLink.ref).where(TicketLink.ticket_id == first.id)).all()
        assert links == ["BUG-77"]
    [merged] = [a for a in activity(bot, 1) if a.action == "merged"]
    assert (merged.actor_id, merged.detail["from"], merged.detail["customer_team_id"]) == (
        AGENT,
        2,
        GLOBEX,
    )
    assert activity(bot, 2)[-1].action == "merged_into"

    # The customer of #2 is told where it went, and nothing internal.
    [notice] = [m for m in fake.messages(GLOBEX_HELP) if "Merged" in m.get("text", "")]
    assert notice["thread_ts"] == globex_root and notice["text"].startswith("Merged into #1")
    assert "acme" not in notice["text"] and "BUG-77" not in notice["text"]
    assert not [m for m in fake.messages(HELP) if "erge" in str(m)]  # acme hears nothing

    # Both cards tell the team.
    cards = {c.args["ts"]: str(c.args["blocks"]) for c in fake.calls_to("chat.update")}
    assert "Merged into *#1 (acme)*" in cards[second.triage_ts]
    assert "ticket_claim" not in cards[second.triage_ts]  # worked on #1 from now on
    assert "Merged here: #2 (globex)" in cards[first.triage_ts]
    triage_threads = [m["text"] for m in fake.messages(TRIAGE) if m.get("thread_ts")]
    assert any("Merged #2 (globex) into #1 (acme)" in text for text in triage_threads)

    # #2 stays resolvable to #1.
    assert "Merged into *#1 (acme)*" in ticket_cmd(bot, "show #2")
    shown = ticket_cmd(bot, "show #1")
    assert "Merged here" in shown and "#2:" in shown and "linked BUG-77" in shown
    assert ticket_cmd(bot, "claim #2") == "#2 was merged into #1: work on that."
    assert bot.ticket(2).assignee_id is None

    # Later replies in #2's thread are part of #1.
    late = reply(bot, GLOBEX_HELP, globex_root, GINA, GLOBEX, "still broken")
    with bot.session() as session:
        stored = session.exec(select(Message).where(Message.ts == late)).one()
    assert stored.ticket_id == first.id

    # One known issue, two customer organizations.
    with session_scope(bot.engine) as session:
        assert conversations.known_issue_organizations(session, workspace_id="T0HOME") == [
            (first.id, 2)
        ]


def test_linked_reports_count_their_organizations(bot):
    two_reports(bot)  # #2 (globex) links BUG-77
    ask(bot, "Webhooks down here too")  # #3 (acme)
    ticket_cmd(bot, "link #3 BUG-77")
    ask(bot, "Webhook retries missing", user=CUSTOMER2)  # #4 (acme), merged into #2
    ticket_cmd(bot, "merge #2 #4")
    with session_scope(bot.engine) as session:
        assert conversations.linked_issue_organizations(session, workspace_id="T0HOME") == [
            ("BUG-77", 2)
        ]


def test_merge_recomputes_sla_due_times(bot):
    ask(bot, "Login page shows an error for every user")
    gina_root = ask(
        bot,
        "Nobody can log in, error on the login page",
        channel=GLOBEX_HELP,
        user=GINA,
        team=GLOBEX,
    )
    assert bot.ticket(1).first_response_due_at is not None
    reply(bot, GLOBEX_HELP, gina_root, AGENT, "T0HOME", "We are on it, a fix is rolling out")

    ticket_cmd(bot, "claim #2", user=AGENT2)
    ticket_cmd(bot, "priority #2 high")

    ticket_cmd(bot, "merge #1 #2")

    first, second = bot.ticket(1), bot.ticket(2)
    assert (first.assignee_id, first.status, first.priority) == (AGENT2, TicketStatus.OPEN, "high")
    assert first.first_response_at is not None  # an agent answered the conversation
    assert first.first_response_due_at is None and first.resolution_due_at is not None
    assert second.first_response_due_at is None and second.resolution_due_at is None


def test_merge_in_one_channel_points_to_the_thread(bot, fake):
    first_root = ask(bot, "Reports page loads forever")
    second_root = ask(bot, "Reports never finish loading", user=CUSTOMER2)
    ticket_cmd(bot, "merge #1 #2")
    [notice] = [m for m in fake.messages(HELP) if "Merged" in m.get("text", "")]
    assert notice["thread_ts"] == second_root
    permalink = bot.ticket(1).permalink
    assert permalink and first_root.replace(".", "") in permalink
    assert notice["text"] == f"Merged into #1: we continue in <{permalink}|this thread>."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("merge #1 #1", "#1 cannot be merged into itself."),
        ("merge #1 #99", "There is no ticket #99."),
        ("merge #99 #1", "There is no ticket #99."),
        ("merge #1", "Usage: `/ticket merge #N #B`."),
        ("merge #1 two", "`two` is not a ticket number"),
        ("merge #3 #2", "#3 is resolved"),
    ],
)
def test_bad_merges_change_nothing(bot, fake, text, expected):
    two_reports(bot)
    ask(bot, "Something else entirely, about our invoices")
    ticket_cmd(bot, "resolve #3")
    before = [(t.number, t.status, t.merged_into_id) for t in bot.tickets()]
    messages_before = [(m.ts, m.ticket_id) for m in bot.messages()]
    updates_before = len(fake.calls_to("chat.update"))

    assert expected in ticket_cmd(bot, text)

    assert [(t.number, t.status, t.merged_into_id) for t in bot.tickets()] == before
    assert [(m.ts, m.ticket_id) for m in bot.messages()] == messages_before
    assert len(fake.calls_to("chat.update")) == updates_before


def test_merging_twice_or_into_a_merged_ticket_is_refused(bot):
    two_reports(bot)
    ask(bot, "Webhooks are down for us as well")
    ticket_cmd(bot, "merge #1 #2")
    assert ticket_cmd(bot, "merge #1 #2") == "#2 was already merged into #1."
    assert ticket_cmd(bot, "merge #2 #3") == "#2 was already merged into #1."
    assert bot.ticket(3).merged_into_id is None


def test_merges_are_flattened_to_the_survivor(bot):
    two_reports(bot)
    ask(bot, "Webhooks are down for us as well")
    ticket_cmd(bot, "merge #2 #3")
    ticket_cmd(bot, "merge #1 #2")
    first = bot.ticket(1)
    assert bot.ticket(2).merged_into_id == first.id and bot.ticket(3).merged_into_id == first.id
    assert {m.ticket_id for m in bot.messages()} == {first.id}
    with session_scope(bot.engine) as session:
        assert conversations.known_issue_organizations(session, workspace_id="T0HOME") == [
            (first.id, 2)
        ]


def test_only_agents_merge(bot):
    two_reports(bot)
    response = bot.driver.command("/ticket", "merge #1 #2", user=CUSTOMER, channel=HELP)
    bot.drain()
    assert "Only support agents" in response.body
    assert bot.ticket(2).merged_into_id is None
    assert bot.app.runtime.deps.merger is not None


def test_a_handed_over_survivor_starts_its_claim_timer(start_deskbot, fake):
    bot = start_deskbot(routing={"claim_timeout": "2h"})
    ask(bot, "Calendar invites arrive without a time zone")
    ask(bot, "Invites in the calendar have no time zone", user=CUSTOMER2)
    ticket_cmd(bot, "claim #2", user=AGENT2)
    ticket_cmd(bot, "merge #1 #2")
    first = bot.ticket(1)
    assert first.assignee_id == AGENT2
    with bot.session() as session:
        claim = session.exec(select(TicketClaim).where(TicketClaim.ticket_id == first.id)).one()
    assert claim.agent_id == AGENT2 and claim.due_at is not None
