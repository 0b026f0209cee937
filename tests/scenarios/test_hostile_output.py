"""What deskbot writes stays what it means, whatever customers (or articles) put in it.

Customer text reaches the team as text, never as a ping or a disguised link, in blocks and
in the notification `text` alike; `/ticket show` stays inside Slack's limits; a "This
solved it" press teaches the matcher only when it closed the ticket; a :ticket: reaction
on a vanished message gets the agent an answer, once.
"""

import logging
from pathlib import Path

import pytest
from sqlmodel import select

from fakeslack.blockkit import validate_blocks
from store.models import ArticleExample, InboxEvent, TicketStatus
from tests.conftest import AGENT, CUSTOMER, HELP, RANDOM, TRIAGE
from tests.scenarios.test_sla_sweep import CONFIG as SLA_CONFIG
from tests.scenarios.test_sla_sweep import ask_now, posts_to
from tests.scenarios.test_suggestions import ARTICLES, ask, press, suggestion_post
from tests.scenarios.test_tickets import answer_text, open_ticket, reaction, ticket_cmd
from tests.support.harness import RunningBot

HOSTILE = "<!channel> <@U123> <https://evil.example|x> & < > <!here> <!everyone> <#C0SECRET>"
LIVE_MARKUP = ("<!channel>", "<@U123>", "<https://evil", "<!here>", "<!everyone>", "<#C0SECRET>")


def assert_inert(text: str) -> None:
    """None of the customer's markup is live: each `<` they typed arrives escaped."""
    for markup in LIVE_MARKUP:
        assert markup not in text, f"{markup} reached Slack unescaped in {text!r}"
    assert "&lt;!channel&gt;" in text and "&amp;" in text


def test_customer_markup_reaches_the_triage_card_as_text(deskbot, fake):
    open_ticket(deskbot, HOSTILE)
    [card] = fake.messages(TRIAGE)
    assert_inert(card["text"])  # what mobile notifications show
    assert_inert(str(card["blocks"]))
    # The card's text again after every refresh (a claim updates it in place).
    assert "claimed" in ticket_cmd(deskbot, "claim #1")
    [card] = fake.messages(TRIAGE)
    assert_inert(card["text"])


def test_customer_markup_in_an_sla_digest_is_text(start_deskbot, fake, clock):
    bot = start_deskbot(SLA_CONFIG)
    ask_now(bot, clock, HOSTILE)
    clock.advance(minutes=50)  # past 75% of the first-response target: a warning
    bot.app.runtime.deps.sweeper.sweep()
    [digest] = posts_to(fake, TRIAGE)
    assert "&lt;!channel&gt;" in digest and "&amp;" in digest and "<!channel>" not in digest


@pytest.fixture
def hostile_kb(tmp_path: Path) -> Path:
    """Articles whose urls are not plain http(s) links."""
    folder = tmp_path / "kb"
    folder.mkdir()
    urls = {
        "export-script": "javascript:alert(1)",
        "export-smuggle": "https://help.example.com/x|<!channel>",
        "export-plain": "https://help.example.com/export?a=1&b=2",
    }
    for article_id, url in urls.items():
        (folder / f"{article_id}.md").write_text(
            f"---\nid: {article_id}\ntitle: CSV export fails <{article_id}>\nlang: en\n"
            f"url: '{url}'\n---\nExports larger than 50,000 rows run in the background.\n\n"
            "- Export to CSV fails\n- My CSV export times out\n",
            encoding="utf-8",
        )
    return folder


def test_article_urls_are_linked_only_when_http_and_cannot_smuggle_markup(
    start_deskbot, fake, hostile_kb
):
    bot = start_deskbot(knowledge_dir=str(hostile_kb), suggestions={"max": 3, "min_score": 1})
    root = ask(bot, "my csv export fails")
    post = suggestion_post(fake, root)
    assert post is not None
    shown = post["text"] + str(post["blocks"])
    assert "<javascript:" not in shown and "javascript:alert" not in shown
    assert "<!channel>" not in shown and "|<!channel>" not in shown
    assert "<https://help.example.com/x%7C%3C!channel%3E|" in shown
    assert "<https://help.example.com/export?a=1&amp;b=2|" in shown
    assert "&lt;export-script&gt;" in shown  # titles are escaped too


def test_ticket_show_with_many_long_tags_fits_slacks_field_limit(deskbot):
    open_ticket(deskbot)
    for n in range(40):
        assert "tagged" in ticket_cmd(deskbot, f"type #1 {n:02d}-{'x' * 61}")
    response = deskbot.driver.command("/ticket", "show #1", user=AGENT, channel=TRIAGE)
    assert response.status == 200
    blocks = response.json()["blocks"]
    assert validate_blocks(blocks) == []
    assert "more" in str(blocks) and "… and " in str(blocks)
    assert "00-" in str(blocks)  # the first tags are still shown


def test_ticket_show_escapes_tags(deskbot):
    open_ticket(deskbot)
    ticket_cmd(deskbot, "type #1 <!channel>")
    answer = answer_text(deskbot.driver.command("/ticket", "show #1", user=AGENT))
    assert "<!channel>" not in answer


@pytest.fixture
def kb_bot(start_deskbot, tmp_path: Path) -> RunningBot:
    """deskbot with the suggestions tests' articles."""
    folder = tmp_path / "kb"
    folder.mkdir()
    for article_id, (lang, title, body) in ARTICLES.items():
        (folder / f"{article_id}.md").write_text(
            f"---\nid: {article_id}\ntitle: {title}\nlang: {lang}\n---\n{body}\n",
            encoding="utf-8",
        )
    return start_deskbot(knowledge_dir=str(folder), suggestions={"max": 3, "min_score": 40})


def examples(bot: RunningBot) -> list[str]:
    with bot.session() as session:
        return [e.article_id for e in session.exec(select(ArticleExample))]


def test_solved_press_on_an_agent_resolved_ticket_teaches_nothing(kb_bot, fake):
    root = ask(kb_bot, "my csv export keeps failing")
    post = suggestion_post(fake, root)
    assert "resolved" in ticket_cmd(kb_bot, "resolve #1")
    press(kb_bot, post, "kb_solved", "1|csv-export-en", CUSTOMER)
    assert kb_bot.ticket(1).status == TicketStatus.RESOLVED
    assert examples(kb_bot) == []


def test_solved_press_on_a_merged_ticket_teaches_nothing(kb_bot, fake):
    ask(kb_bot, "Where do I find my invoices?")
    root = ask(kb_bot, "my csv export keeps failing")
    post = suggestion_post(fake, root)
    assert "Merged" in ticket_cmd(kb_bot, "merge #1 2")
    press(kb_bot, post, "kb_solved", "2|csv-export-en", CUSTOMER)
    assert examples(kb_bot) == []
    [answer] = fake.ephemerals(HELP, CUSTOMER)
    assert "handling this in" in answer["text"]  # customer words, not "work on that"


def test_solved_press_that_closes_the_ticket_still_teaches(kb_bot, fake):
    root = ask(kb_bot, "my csv export keeps failing")
    press(kb_bot, suggestion_post(fake, root), "kb_solved", "1|csv-export-en", CUSTOMER)
    assert examples(kb_bot) == ["csv-export-en"]


def test_ticket_reaction_on_a_vanished_message_answers_once(deskbot, fake, caplog):
    gone = deskbot.driver.next_ts()  # never posted, or deleted before the reaction arrived
    with caplog.at_level(logging.INFO):
        reaction(deskbot, "ticket", AGENT, RANDOM, gone)
    [answer] = fake.ephemerals(RANDOM, AGENT)
    assert "gone" in answer["text"]
    assert deskbot.tickets() == []
    with deskbot.session() as session:
        assert session.exec(select(InboxEvent)).all() == []  # finished, not retried
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert [r for r in caplog.records if "is gone" in r.getMessage()]


def test_ticket_reaction_on_a_deleted_reply_answers(deskbot, fake):
    base = deskbot.driver.next_ts()
    fake.seed_message(RANDOM, base, CUSTOMER, "Our SSO login fails")
    reply = deskbot.driver.next_ts()  # the reply was deleted: the thread no longer has it
    fake.seed_message(RANDOM, deskbot.driver.next_ts(), CUSTOMER, "still", thread_ts=base)
    reaction(deskbot, "ticket", AGENT, RANDOM, reply)
    assert deskbot.tickets() == []
    assert [m["text"] for m in fake.ephemerals(RANDOM, AGENT)][-1].startswith("That message")
