"""Self-service suggestions in Slack: the right article, in the customer's language, once."""

from pathlib import Path

import pytest
from sqlmodel import select

from store.models import Activity, ArticleExample, Suggestion, TicketStatus
from tests.conftest import ACME, AGENT, CUSTOMER, CUSTOMER2, HELP, TRIAGE
from tests.scenarios.test_tickets import answer_text
from tests.support.harness import RunningBot

ARTICLES = {
    "password-reset-en": (
        "en",
        "Reset your password",
        "Click 'Forgot password' on the sign-in page and follow the link we "
        "email you. The link expires after 30 minutes.\n\n"
        "- How do I reset my password?\n- I forgot my password",
    ),
    "password-reset-de": (
        "de",
        "Passwort zurücksetzen",
        "Klicken Sie auf der Anmeldeseite auf 'Passwort vergessen' und folgen "
        "Sie dem Link in der E-Mail.\n\n- Wie setze ich mein Passwort zurück?\n"
        "- Ich habe mein Passwort vergessen",
    ),
    "csv-export-en": (
        "en",
        "CSV export fails",
        "Exports larger than 50,000 rows run in the background; you get an email "
        "with a download link.\n\n- Export to CSV fails\n- My CSV export times out",
    ),
    "invoices-en": (
        "en",
        "Download invoices",
        "Admins find every invoice under Settings > Billing > Invoices.\n\n"
        "- Where are my invoices?\n- How do I download an invoice?",
    ),
}


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A small knowledge base of Markdown articles with front matter."""
    folder = tmp_path / "kb"
    folder.mkdir()
    for article_id, (lang, title, body) in ARTICLES.items():
        (folder / f"{article_id}.md").write_text(
            f"---\nid: {article_id}\ntitle: {title}\nlang: {lang}\ntags: [help]\n"
            f"url: https://help.example.com/{article_id}\n---\n{body}\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def bot(start_deskbot, kb_dir) -> RunningBot:
    return start_deskbot(knowledge_dir=str(kb_dir), suggestions={"max": 3, "min_score": 40})


def ask(bot: RunningBot, text: str, user: str = CUSTOMER) -> str:
    response = bot.driver.message(channel=HELP, user=user, team=ACME, text=text)
    bot.drain()
    assert response.ts is not None
    return response.ts


def suggestion_post(fake, root_ts: str) -> dict | None:
    posts = [m for m in fake.messages(HELP) if m.get("thread_ts") == root_ts]
    assert len(posts) <= 1, "suggested more than once"
    return posts[0] if posts else None


def buttons(message: dict) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e.get("value", ""))
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def press(bot: RunningBot, message: dict, action_id: str, value: str, user: str) -> None:
    payload = bot.driver.block_action_payload(
        action_id, value, user=user, channel=HELP, message_ts=message["ts"]
    )
    assert bot.driver.action(payload).status == 200
    bot.drain()


def suggestion_row(bot: RunningBot) -> Suggestion:
    with bot.session() as session:
        return session.exec(select(Suggestion)).one()


def test_new_ticket_gets_matching_articles_in_its_thread(bot, fake):
    root = ask(bot, "How can I reset my password? I forgot it")
    post = suggestion_post(fake, root)
    assert post is not None
    assert "Reset your password" in str(post["blocks"])
    assert ("kb_solved", "1|password-reset-en") in buttons(post)
    assert ("kb_need_help", "1") in buttons(post)
    assert "Passwort" not in str(post["blocks"])  # same language first
    row = suggestion_row(bot)
    assert row.outcome == "offered" and row.article_ids[0] == "password-reset-en"


def test_german_question_gets_german_article_and_words(bot, fake):
    root = ask(bot, "Ich habe mein Passwort vergessen, wie kann ich es zurücksetzen?")
    post = suggestion_post(fake, root)
    assert post is not None
    assert buttons(post)[0] == ("kb_solved", "1|password-reset-de")
    assert "Das hat geholfen" in str(post["blocks"])


def test_no_suggestion_for_small_talk_or_when_nothing_fits(bot, fake):
    hello = ask(bot, "hi there!")  # small talk: not even a ticket
    unrelated = ask(bot, "Our office plants need watering on weekends")
    assert suggestion_post(fake, hello) is None and suggestion_post(fake, unrelated) is None
    assert [t.subject for t in bot.tickets()] == ["Our office plants need watering on weekends"]
    with bot.session() as session:
        outcomes = [s.outcome for s in session.exec(select(Suggestion).order_by(Suggestion.id))]
    assert outcomes == ["none"]


def test_this_solved_it_resolves_as_self_served_and_learns(bot, fake):
    root = ask(bot, "my csv export keeps failing")
    post = suggestion_post(fake, root)
    press(bot, post, "kb_solved", "1|csv-export-en", CUSTOMER)

    ticket = bot.ticket(1)
    assert ticket.status == TicketStatus.RESOLVED
    with bot.session() as session:
        actions = [a.action for a in session.exec(select(Activity))]
        examples = [(e.article_id, e.text) for e in session.exec(select(ArticleExample))]
    assert "self_served" in actions
    assert examples == [("csv-export-en", "my csv export keeps failing")]
    row = suggestion_row(bot)
    assert (row.outcome, row.solved_article_id) == ("solved", "csv-export-en")
    updated = [c for c in fake.calls_to("chat.update") if c.args["ts"] == post["ts"]]
    assert updated and "kb_solved" not in str(updated[-1].args["blocks"])
    assert "self-served" in str([m["text"] for m in fake.messages(TRIAGE)])


def test_still_need_help_keeps_ticket_open_and_tells_triage(bot, fake):
    root = ask(bot, "Where do I find my invoices?")
    post = suggestion_post(fake, root)
    press(bot, post, "kb_need_help", "1", CUSTOMER)
    assert bot.ticket(1).status == TicketStatus.NEW
    assert suggestion_row(bot).outcome == "need_help"
    assert any("still needs help" in m["text"] for m in fake.messages(TRIAGE))


def test_a_stranger_cannot_answer_someone_elses_suggestion(bot, fake):
    root = ask(bot, "How do I reset my password?")
    post = suggestion_post(fake, root)
    press(bot, post, "kb_solved", "1|password-reset-en", CUSTOMER2)
    assert bot.ticket(1).status == TicketStatus.NEW
    assert suggestion_row(bot).outcome == "offered"
    [refusal] = fake.ephemerals(HELP, CUSTOMER2)
    assert "Only the person who asked" in refusal["text"]
    press(bot, post, "kb_solved", "1|password-reset-en", AGENT)  # an agent may
    assert bot.ticket(1).status == TicketStatus.RESOLVED


def test_agent_answer_teaches_the_matcher(bot, fake):
    ask(bot, "my teammates can't see the quarterly statements for billing")
    answer = bot.driver.command("/ticket", "answer #1 invoices-en", user=AGENT, channel=TRIAGE)
    bot.drain()
    assert "learned" in answer.body
    with bot.session() as session:
        [example] = session.exec(select(ArticleExample)).all()
    assert example.article_id == "invoices-en" and example.source == "agent_answer"
    unknown = bot.driver.command("/ticket", "answer #1 no-such-article", user=AGENT)
    assert "There is no article `no-such-article`" in unknown.body

    root = ask(bot, "teammates can't see quarterly statements for billing", user=CUSTOMER2)
    post = suggestion_post(fake, root)
    assert post is not None and buttons(post)[0] == ("kb_solved", "2|invoices-en")


def test_kb_search_for_agents_only(bot):
    response = bot.driver.command("/kb", "search export to csv", user=AGENT, channel=TRIAGE)
    bot.drain()
    assert "csv-export-en" in answer_text(response)
    assert "CSV export fails" in answer_text(response)
    refused = bot.driver.command("/kb", "search export", user=CUSTOMER, channel=HELP)
    assert "Only support agents" in refused.body


def test_kb_gaps_groups_unanswered_questions(bot, fake):
    bot.driver.response_url_base = fake.response_url_base
    ask(bot, "Can I change the color theme of the dashboard?", user=CUSTOMER)
    ask(bot, "how to change dashboard color theme", user=CUSTOMER2)
    ask(bot, "Is there an on-premise version?", user=CUSTOMER)
    response = bot.driver.command("/kb", "gaps 7d", user=AGENT, channel=TRIAGE)
    bot.drain()
    assert "Working on it" in answer_text(response)  # at once; the groups follow
    [follow_up] = [item["body"] for item in fake.responded]
    assert follow_up["response_type"] == "ephemeral"
    body = follow_up["text"] + str(follow_up["blocks"])
    assert "2× · 2 customers · 1 organization" in body
    assert "1× · 1 customer · 1 organization" in body
    assert body.index("2×") < body.index("1×")  # biggest group first
    bad = bot.driver.command("/kb", "gaps someday", user=AGENT, channel=TRIAGE)
    assert "is not a range" in bad.body


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("I forgot my password and can't log in", "password-reset-en"),
        ("Ich habe mein Passwort vergessen", "password-reset-de"),
        ("パスワードを忘れてしまいました", "password-reset-ja"),
    ],
)
def test_shipped_knowledge_base_answers_in_three_languages(deskbot, fake, question, article):
    root = ask(deskbot, question)
    post = suggestion_post(fake, root)
    assert post is not None
    assert buttons(post)[0] == ("kb_solved", f"1|{article}")


def test_deskbot_kb_command_line_uses_the_configured_kb(workdir, kb_dir, capsys):
    from bot.cli.main import main

    (workdir / "deskbot.yaml").write_text(f"knowledge_dir: {kb_dir}\n")
    assert main(["kb", "search", "where can I download my invoice"]) == 0
    assert "invoices-en" in capsys.readouterr().out.splitlines()[0]


def test_no_knowledge_dir_suggests_no_sample_article(start_deskbot, fake, caplog):
    # The shipped articles are about a fictional product: real customers never see them
    # unless the config asks for them (`knowledge_dir: sample`, as the demo does).
    bot = start_deskbot(knowledge_dir=None)
    root = ask(bot, "I lost my phone and can't get the 2FA code")
    assert suggestion_post(fake, root) is None
    assert "no knowledge_dir set" in caplog.text


def test_a_merged_tickets_suggestion_speaks_to_the_customer_and_loses_its_buttons(bot, fake):
    ask(bot, "my csv export keeps failing")
    second = ask(bot, "the csv export fails again today")
    post = suggestion_post(fake, second)
    assert post is not None and buttons(post)
    bot.driver.command("/ticket", "merge #1 #2", user=AGENT, channel=TRIAGE)  # #2 into #1
    bot.drain()
    # The buttons go at the merge, before anyone presses one; the articles stay.
    [retired] = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == post["ts"]]
    assert "actions" not in str(retired["blocks"]) and "CSV export fails" in str(retired)
    assert "the thread of your question" in str(retired["blocks"])
    assert "work on that" not in str(retired)  # customer words in a shared channel
    # A customer whose Slack still shows the old buttons presses one.
    solved = next(value for action, value in buttons(post) if action == "kb_solved")
    payload = bot.driver.block_action_payload(
        "kb_solved", solved, user=CUSTOMER, channel=HELP, message_ts=post["ts"], message=post
    )
    assert bot.driver.action(payload).status == 200
    bot.drain()

    [told] = fake.ephemerals(HELP, CUSTOMER)
    assert "handling this in" in told["text"] and "the thread of your question" in told["text"]
    assert "merged" not in told["text"] and "work on that" not in told["text"]
    updates = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == post["ts"]]
    assert all("actions" not in str(update["blocks"]) for update in updates)
    assert bot.ticket(2).status == TicketStatus.CLOSED  # not resolved as self-served


def test_an_agent_resolving_takes_the_suggestions_buttons_away(bot, fake):
    root = ask(bot, "Ich habe mein Passwort vergessen, wie setze ich es zurück?")
    post = suggestion_post(fake, root)
    assert post is not None and buttons(post)
    bot.driver.command("/ticket", "resolve #1", user=AGENT, channel=TRIAGE)
    bot.drain()
    [retired] = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == post["ts"]]
    assert "actions" not in str(retired["blocks"])
    assert "Passwort zurücksetzen" in str(retired["blocks"])
    assert "im Thread beantwortet" in str(retired["blocks"])  # in the customer's language
    assert suggestion_row(bot).outcome == "offered"  # not the customer's answer: KPIs unchanged


def test_an_answered_suggestion_is_not_touched_again_at_resolve(bot, fake):
    root = ask(bot, "my csv export keeps failing")
    post = suggestion_post(fake, root)
    press(bot, post, "kb_need_help", "1", CUSTOMER)
    before = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == post["ts"]]
    bot.driver.command("/ticket", "resolve #1", user=AGENT, channel=TRIAGE)
    bot.drain()
    after = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == post["ts"]]
    assert after == before  # the thank-you stays as the customer saw it


def test_a_self_served_card_says_so(bot, fake):
    root = ask(bot, "my csv export keeps failing")
    press(bot, suggestion_post(fake, root), "kb_solved", "1|csv-export-en", CUSTOMER)
    card = fake.calls_to("chat.update")[-1].args
    assert card["channel"] == TRIAGE
    assert "none needed: self-served" in str(card["blocks"]) and "_waiting_" not in str(card)
