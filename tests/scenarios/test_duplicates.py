"""Likely duplicates over HTTP: the triage card names them, and its Merge button merges."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from bot.tickets.duplicates import SCAN_CHARS, is_substantial, question_of, rank_duplicates
from store.models import Activity, TicketStatus
from tests.conftest import ACME, AGENT, AGENT2, CUSTOMER, CUSTOMER2, HELP, TRIAGE
from tests.scenarios.test_grouping import at
from tests.scenarios.test_merge import GINA, GLOBEX, GLOBEX_HELP, ask, with_globex
from tests.scenarios.test_tickets import ticket_cmd
from tests.support.harness import RunningBot


@pytest.fixture
def bot(start_deskbot, fake) -> RunningBot:
    """deskbot serving acme's and globex's shared channels."""
    return with_globex(start_deskbot, fake)


def card(fake, ticket) -> list[dict]:
    """The ticket's triage card as it stands (posted, then updated in place)."""
    updates = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == ticket.triage_ts]
    if updates:
        return updates[-1]["blocks"]
    return next(m for m in fake.messages(TRIAGE) if m["ts"] == ticket.triage_ts)["blocks"]


def merge_buttons(blocks: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (e["action_id"], e["value"], e["text"]["text"])
        for b in blocks
        if b.get("block_id") == "duplicate_actions"
        for e in b["elements"]
    ]


def press(bot: RunningBot, fake, ticket, action_id: str, value: str, user: str = AGENT) -> None:
    payload = bot.driver.block_action_payload(
        action_id, value, user=user, channel=TRIAGE, message_ts=ticket.triage_ts
    )
    assert bot.driver.action(payload).status == 200
    bot.drain()


def outage(bot: RunningBot) -> None:
    """Three customers in two organizations report one webhook outage."""
    ask(bot, "Webhooks stopped firing about an hour ago")
    ask(bot, "Our webhooks stopped firing an hour ago", channel=GLOBEX_HELP, user=GINA, team=GLOBEX)
    ask(bot, "webhooks stopped firing an hour ago for us too", user=CUSTOMER2)


def test_new_ticket_names_likely_duplicates_with_merge_buttons(bot, fake):
    outage(bot)

    third = bot.ticket(3)
    blocks = card(fake, third)
    [line] = [b["text"]["text"] for b in blocks if b.get("block_id") == "duplicates"]
    assert line.startswith(":mag: Possibly the same as ")
    assert "#1 (acme)" in line and "#2 (globex)" in line
    buttons = merge_buttons(blocks)
    assert {(value, text) for _, value, text in buttons} == {
        ("3:1", "Merge into #1"),
        ("3:2", "Merge into #2"),
    }
    assert len({action_id for action_id, _, _ in buttons}) == 2
    assert "Possibly" not in str(card(fake, bot.ticket(1)))  # only newer tickets point back
    leaked = [m for m in fake.messages(HELP) + fake.messages(GLOBEX_HELP) if "same as" in str(m)]
    assert leaked == []


def test_merge_button_merges_the_new_ticket_into_the_older_one(bot, fake):
    outage(bot)
    third = bot.ticket(3)
    [(action_id, value, _)] = [b for b in merge_buttons(card(fake, third)) if b[1] == "3:1"]

    press(bot, fake, third, action_id, value, user=CUSTOMER)  # not an agent: refused
    assert bot.ticket(3).merged_into_id is None
    assert "Only support agents" in fake.ephemerals(TRIAGE, CUSTOMER)[-1]["text"]

    press(bot, fake, third, action_id, value)
    first, third = bot.ticket(1), bot.ticket(3)
    assert third.merged_into_id == first.id and third.status == TicketStatus.CLOSED
    assert "Merged into *#1 (acme)*" in str(card(fake, third))
    assert "Merged here: #3 (acme)" in str(card(fake, first))
    second_card = card(fake, bot.ticket(2))
    assert "#3" not in str([b for b in second_card if b.get("block_id") == "duplicates"])

    press(bot, fake, third, action_id, value)  # a stale card pressed again
    assert fake.ephemerals(TRIAGE, AGENT)[-1]["text"] == "#3 was already merged into #1."


def test_short_unrelated_old_or_closed_tickets_are_not_duplicates(bot, fake):
    base = bot.driver.next_ts()
    ask(bot, "The nightly billing export is missing rows", ts=at(base, -8 * 86400))  # too old
    ask(bot, "export fails")
    ask(bot, "Export fails")  # too short to tell
    ask(bot, "Our office plants need watering on weekends")
    ask(bot, "Password reset emails never arrive in our inbox")
    ticket_cmd(bot, "resolve #5")
    ask(bot, "The nightly billing export is missing rows")
    ask(bot, "Password reset emails never arrive in the inbox", user=CUSTOMER2)
    for number in range(1, 8):
        assert "Possibly" not in str(card(fake, bot.ticket(number))), number


def test_ranking_guards_and_threshold():
    assert not is_substantial("export fails")
    assert is_substantial("エクスポートが失敗します毎回")
    candidates = [
        (1, "CSV export fails with error 500 since this morning"),
        (2, "Invoices page is blank since this morning"),
        (3, "export fails"),
    ]
    ranked = rank_duplicates("Export to CSV fails with a 500 error since this morning", candidates)
    assert [key for key, _ in ranked] == [1]
    assert rank_duplicates("hi", candidates) == []
    assert rank_duplicates(
        "ログインできません、エラーが出ます", [(7, "ログインできません、エラーが出ます。")]
    )


def test_duplicates_found_when_a_grouped_conversation_grows(start_deskbot, fake):
    bot = start_deskbot(intake={"reaction": "ticket", "group_window": "2m"})
    ask(bot, "The mobile app crashes when opening the settings screen", user=CUSTOMER2)
    base = bot.driver.next_ts()
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="hey, problem here", ts=base)
    bot.drain()
    assert "Possibly" not in str(card(fake, bot.ticket(2)))
    bot.driver.message(
        channel=HELP,
        user=CUSTOMER,
        team=ACME,
        text="the mobile app crashes when I open the settings screen",
        ts=at(base, 5),
    )
    bot.drain()
    assert "Possibly the same as #1 (acme)" in str(card(fake, bot.ticket(2)))


def test_racing_merge_buttons_merge_once(bot, fake):
    outage(bot)
    third = bot.ticket(3)
    presses = [
        bot.driver.block_action_payload(
            action_id, value, user=user, channel=TRIAGE, message_ts=third.triage_ts
        )
        for (action_id, value, _), user in zip(
            sorted(merge_buttons(card(fake, third))), (AGENT, AGENT2), strict=True
        )
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert set(pool.map(lambda p: bot.driver.action(p).status, presses)) == {200}
    bot.drain()

    third = bot.ticket(3)
    survivor = next(t for t in bot.tickets() if t.id == third.merged_into_id)
    assert survivor.number in (1, 2)
    refusals = fake.ephemerals(TRIAGE, AGENT) + fake.ephemerals(TRIAGE, AGENT2)
    assert [r["text"] for r in refusals] == [f"#3 was already merged into #{survivor.number}."]
    with bot.session() as session:
        merges = session.exec(select(Activity).where(Activity.action == "merged")).all()
    assert len(merges) == 1


def test_organization_names_fall_back_to_the_team_id_and_retry_later():
    from datetime import UTC, datetime, timedelta

    from bot.orgs import OrgNames

    now = [datetime(2026, 11, 23, tzinfo=UTC)]
    answers: list[str | None] = [None, "globex"]
    asked: list[str] = []

    def fetch(team_id: str) -> str | None:
        asked.append(team_id)
        return answers.pop(0)

    names = OrgNames("T0HOME", clock=lambda: now[0], fetch=fetch)
    assert names.name("T0GLOBEX") == "T0GLOBEX"  # Slack could not say
    assert names.name("T0GLOBEX") == "T0GLOBEX" and asked == ["T0GLOBEX"]  # not hammered
    now[0] += timedelta(hours=2)
    assert names.name("T0GLOBEX") == "globex"
    assert names.name("T0GLOBEX") == "globex" and len(asked) == 2  # cached


CONVERSATION = (
    "hi",
    "quick question",
    "Our nightly CSV export has failed since this morning with error 502.",
)
SAME = "The nightly CSV export has failed since this morning, error 502"


def grouping_bot(start_deskbot, fake) -> RunningBot:
    """deskbot for acme and globex that groups a customer's burst into one conversation."""
    with_globex(start_deskbot, fake)  # adds globex to the fake workspace
    return start_deskbot(
        support_channels=[HELP, GLOBEX_HELP],
        intake={"reaction": "ticket", "group_window": "2m"},
    )


def converse(bot: RunningBot) -> str:
    """An acme customer's burst: a greeting, a preamble, then what is wrong; its first ts."""
    base = bot.driver.next_ts()
    for seconds, text in enumerate(CONVERSATION):
        ask(bot, text, ts=at(base, 10 * seconds))
    return base


def duplicates_line(fake, ticket) -> str:
    return next(b["text"]["text"] for b in card(fake, ticket) if b.get("block_id") == "duplicates")


def test_a_new_question_finds_a_grouped_conversation_by_what_it_says(start_deskbot, fake):
    bot = grouping_bot(start_deskbot, fake)
    base = converse(bot)
    [conversation] = bot.tickets()
    assert conversation.subject == CONVERSATION[-1]
    ask(bot, SAME, channel=GLOBEX_HELP, user=GINA, team=GLOBEX, ts=at(base, 60))

    line = duplicates_line(fake, bot.ticket(conversation.number + 1))
    assert f"#{conversation.number} (acme)" in line
    assert "Our nightly CSV export has failed" in line  # what it is about, on the card


def test_a_grouped_conversation_finds_an_older_question_without_its_small_talk(start_deskbot, fake):
    bot = grouping_bot(start_deskbot, fake)
    ask(bot, SAME, channel=GLOBEX_HELP, user=GINA, team=GLOBEX)
    converse(bot)
    conversation = bot.ticket(2)
    assert "#1 (globex)" in duplicates_line(fake, conversation)
    assert [b for b in merge_buttons(card(fake, conversation)) if b[1] == "2:1"]


def test_small_talk_and_preambles_are_left_out_of_the_question():
    assert question_of(list(CONVERSATION)) == "quick question\n" + CONVERSATION[-1]
    assert question_of(["Danke schön!", "ok", "x" * 2000, "more"]) == "x" * SCAN_CHARS
