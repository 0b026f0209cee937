"""CSAT surveys over signed HTTP: asked once on an agent's resolve, answered only by the asker."""

from typing import Any

import pytest
from sqlmodel import select

from bot.csat import is_sampled
from store.models import Activity, CsatSurvey, Ticket
from tests.conftest import ACME, AGENT, AGENT2, CUSTOMER, CUSTOMER2, HELP, HOME, TRIAGE
from tests.scenarios.test_suggestions import kb_dir, press, suggestion_post  # noqa: F401  (fixture)
from tests.scenarios.test_tickets import open_ticket, ticket_cmd
from tests.support.harness import MutableClock, RunningBot

QUIET = {"suggestions": {"max": 0}}


@pytest.fixture
def bot(start_deskbot) -> RunningBot:
    return start_deskbot(QUIET)


def surveys_in(fake, root_ts: str) -> list[dict[str, Any]]:
    """Survey messages in a ticket's thread."""
    return [
        m
        for m in fake.messages(HELP)
        if m.get("thread_ts") == root_ts and "csat_stars" in str(m.get("blocks"))
    ]


def survey_rows(bot: RunningBot) -> list[CsatSurvey]:
    with bot.session() as session:
        return list(session.exec(select(CsatSurvey).order_by(CsatSurvey.id)))


def actions(bot: RunningBot, prefix: str = "csat") -> list[tuple[str, dict]]:
    with bot.session() as session:
        rows = session.exec(select(Activity).order_by(Activity.id))
        return [(a.action, a.detail) for a in rows if a.action.startswith(prefix)]


def rate(bot: RunningBot, survey: dict, stars: int, user: str = CUSTOMER, number: int = 1):
    payload = bot.driver.block_action_payload(
        f"csat_rate_{stars}",
        f"{number}:{stars}",
        user=user,
        channel=HELP,
        message_ts=survey["ts"],
        thread_ts=survey["thread_ts"],
    )
    assert bot.driver.action(payload).status == 200
    bot.drain()
    return payload


def resolved_ticket(bot: RunningBot, fake) -> tuple[str, dict]:
    root = open_ticket(bot)
    ticket_cmd(bot, "resolve #1")
    [survey] = surveys_in(fake, root)
    return root, survey


def test_resolving_asks_the_customer_once_in_the_thread(bot, fake):
    root = open_ticket(bot)
    ticket_cmd(bot, "claim #1")
    assert surveys_in(fake, root) == []  # not before the resolve
    ticket_cmd(bot, "resolve #1 cleared the cache")

    [survey] = surveys_in(fake, root)
    stars = [e for b in survey["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in stars] == [f"csat_rate_{n}" for n in range(1, 6)]
    # In the customer's (shared) channel: nothing internal, no agent, no note.
    assert AGENT not in str(survey) and "cache" not in str(survey)
    [row] = survey_rows(bot)
    assert (row.customer_id, row.channel_id, row.message_ts, row.rating) == (
        CUSTOMER,
        HELP,
        survey["ts"],
        None,
    )
    assert [a for a, _ in actions(bot)] == ["csat_asked"]

    ticket_cmd(bot, "reopen #1")
    ticket_cmd(bot, "resolve #1")  # resolved again: never asked twice
    assert len(surveys_in(fake, root)) == 1 and len(survey_rows(bot)) == 1


def test_the_button_and_the_reaction_ask_too(bot, fake):
    first, second = open_ticket(bot), open_ticket(bot, "Export fails")
    bot.driver.block_action("ticket_resolve", "1", user=AGENT, channel=TRIAGE)
    bot.driver.event(
        {
            "type": "reaction_added",
            "user": AGENT,
            "reaction": "white_check_mark",
            "item": {"type": "message", "channel": HELP, "ts": second},
            "event_ts": bot.driver.next_ts(),
        }
    )
    bot.drain()
    assert len(surveys_in(fake, first)) == 1 and len(surveys_in(fake, second)) == 1


def test_customer_rates_changes_their_mind_and_the_survey_says_thanks(bot, fake, clock):
    _root, survey = resolved_ticket(bot, fake)
    answered = clock.now
    rate(bot, survey, 4)
    [row] = survey_rows(bot)
    assert (row.rating, row.answered_at) == (4, answered)
    update = fake.calls_to("chat.update")[-1].args
    assert update["ts"] == survey["ts"] and "4 out of 5" in update["text"]
    assert "csat_comment" in str(update["blocks"])  # the optional comment is offered

    clock.advance(minutes=5)
    rate(bot, survey, 2)  # a change of mind
    [row] = survey_rows(bot)
    assert (row.rating, row.answered_at) == (2, answered)  # answered_at: the first answer
    assert actions(bot, "csat_rated") == [
        ("csat_rated", {"rating": 4, "from": None}),
        ("csat_rated", {"rating": 2, "from": 4}),
    ]
    notes = [m["text"] for m in fake.messages(TRIAGE) if m.get("thread_ts")]
    assert any("rated 2/5 (was 4)" in note for note in notes)


def test_the_survey_speaks_the_customers_language(bot, fake):
    root = open_ticket(bot, "Ich kann meine Rechnungen nicht herunterladen, die Seite ist leer")
    ticket_cmd(bot, "resolve #1")
    [survey] = surveys_in(fake, root)
    assert "Ihre Anfrage ist erledigt" in survey["text"]
    rate(bot, survey, 5)
    update = fake.calls_to("chat.update")[-1].args
    assert "5 von 5" in update["text"] and "Kommentar hinzufügen" in str(update["blocks"])


def test_a_redelivered_press_changes_nothing(bot, fake):
    _root, survey = resolved_ticket(bot, fake)
    payload = rate(bot, survey, 5)
    # The same click again: a byte-identical copy is refused as a replay (tests/test_security),
    # so the second press differs only in its trigger, as a double click does.
    assert bot.driver.action({**payload, "trigger_id": "2.2.again"}).status == 200
    bot.drain()
    assert survey_rows(bot)[0].rating == 5
    assert len(actions(bot, "csat_rated")) == 1
    notes = [m["text"] for m in fake.messages(TRIAGE) if "rated 5/5" in m["text"]]
    assert len(notes) == 1


@pytest.mark.parametrize("someone_else", [AGENT, CUSTOMER2])
def test_only_the_person_who_asked_can_rate(bot, fake, someone_else):
    _root, survey = resolved_ticket(bot, fake)
    updates_before = len(fake.calls_to("chat.update"))
    rate(bot, survey, 1, user=someone_else)
    assert survey_rows(bot)[0].rating is None
    assert len(fake.calls_to("chat.update")) == updates_before
    [note] = fake.ephemerals(HELP, someone_else)
    assert "Only the person who asked can rate this" in note["text"]
    assert note["thread_ts"] == survey["thread_ts"]


def test_the_customer_adds_a_comment_in_a_modal(bot, fake):
    _root, survey = resolved_ticket(bot, fake)
    rate(bot, survey, 3)
    press_comment = bot.driver.block_action_payload(
        "csat_comment", "1", user=CUSTOMER, channel=HELP, message_ts=survey["ts"]
    )
    bot.driver.action(press_comment)
    bot.drain()
    [opened] = fake.calls_to("views.open")
    assert opened.args["trigger_id"] == press_comment["trigger_id"]
    view = opened.args["view"]
    assert view["callback_id"] == "csat_comment_view" and view["private_metadata"] == "1"

    response = submit_comment(bot, "Fast, but I had to explain twice.")
    assert response.status == 200 and response.body in ("", "{}")  # the modal closes
    row = survey_rows(bot)[0]
    assert (row.rating, row.comment) == (3, "Fast, but I had to explain twice.")
    assert "left a comment" in fake.calls_to("chat.update")[-1].args["blocks"][0]["text"]["text"]
    assert ("csat_commented", {"comment": "Fast, but I had to explain twice."}) in actions(bot)
    assert any("explain twice" in m["text"] for m in fake.messages(TRIAGE))


def submit_comment(bot: RunningBot, text: str, user: str = CUSTOMER):
    """Submit the comment modal, shaped like Slack's view_submission payload."""
    payload = {
        "type": "view_submission",
        "enterprise": None,
        "team": {"id": HOME, "domain": "home"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": ACME},
        "api_app_id": "A0DESK",
        "token": "fake-verification-token",
        "trigger_id": "12345.98765.abcd",
        "view": {
            "id": "V000000001",
            "team_id": HOME,
            "type": "modal",
            "title": {"type": "plain_text", "text": "Your feedback", "emoji": True},
            "callback_id": "csat_comment_view",
            "private_metadata": "1",
            "external_id": "",
            "state": {"values": {"comment": {"text": {"type": "plain_text_input", "value": text}}}},
            "hash": "1.fakehash",
            "root_view_id": "V000000001",
            "previous_view_id": None,
            "app_id": "A0DESK",
            "app_installed_team_id": HOME,
            "bot_id": "BBOT",
        },
        "is_enterprise_install": False,
        "response_urls": [],
    }
    response = bot.driver.action(payload)
    bot.drain()
    return response


def test_comments_need_a_rating_and_come_only_from_the_customer(bot, fake):
    _root, survey = resolved_ticket(bot, fake)
    early = submit_comment(bot, "hello")
    assert "star rating first" in early.json()["errors"]["comment"]
    rate(bot, survey, 4)
    stranger = submit_comment(bot, "I am not the customer", user=CUSTOMER2)
    assert "Only the person who asked" in stranger.json()["errors"]["comment"]
    bot.driver.block_action("csat_comment", "1", user=AGENT2, channel=HELP)
    bot.drain()
    assert fake.calls_to("views.open") == []
    assert "Only the person who asked" in fake.ephemerals(HELP, AGENT2)[0]["text"]
    assert survey_rows(bot)[0].comment is None


def test_self_served_tickets_are_never_asked(start_deskbot, fake, kb_dir):  # noqa: F811
    bot = start_deskbot(knowledge_dir=str(kb_dir), suggestions={"max": 3, "min_score": 40})
    root = open_ticket(bot, "my csv export keeps failing")
    post = suggestion_post(fake, root)
    assert post is not None
    press(bot, post, "kb_solved", "1|csv-export-en", CUSTOMER)
    assert bot.ticket(1).status == "resolved"
    assert survey_rows(bot) == [] and surveys_in(fake, root) == []
    ticket_cmd(bot, "resolve #1")  # already resolved: nothing to do, nothing asked
    assert survey_rows(bot) == []


def test_sampling_is_a_deterministic_choice_per_ticket(start_deskbot, fake):
    bot = start_deskbot(QUIET, csat={"sample_rate": 0.5})
    roots = [open_ticket(bot, f"Question number {n}") for n in range(1, 13)]
    for number in range(1, 13):
        ticket_cmd(bot, f"resolve #{number}")
    expected = {n for n in range(1, 13) if is_sampled(workspace_id=HOME, number=n, rate=0.5)}
    assert 0 < len(expected) < 12  # this sample really leaves some out
    asked = {n for n, root in enumerate(roots, start=1) if surveys_in(fake, root)}
    assert asked == expected
    with bot.session() as session:
        rows = session.exec(select(CsatSurvey)).all()
    assert len(rows) == len(expected)
    assert len(actions(bot, "csat_skipped")) == 12 - len(expected)


def test_sampling_hash_is_stable_and_proportional():
    picks = [is_sampled(workspace_id="T1", number=n, rate=0.3) for n in range(1, 10_001)]
    assert picks == [is_sampled(workspace_id="T1", number=n, rate=0.3) for n in range(1, 10_001)]
    assert 2_800 < sum(picks) < 3_200
    assert all(is_sampled(workspace_id="T1", number=n, rate=1.0) for n in range(1, 100))
    assert not any(is_sampled(workspace_id="T1", number=n, rate=0.0) for n in range(1, 100))


def test_disabled_surveys_are_never_asked(start_deskbot, fake):
    bot = start_deskbot(QUIET, csat={"enabled": False})
    root = open_ticket(bot)
    ticket_cmd(bot, "resolve #1")
    assert surveys_in(fake, root) == [] and survey_rows(bot) == []


def test_a_survey_slack_refused_is_posted_by_the_sweep_once(bot, fake, clock: MutableClock):
    root = open_ticket(bot)
    fake.fail_next("chat.postMessage", status=500, times=4)  # every retry of the survey post
    bot.driver.block_action("ticket_resolve", "1", user=AGENT, channel=TRIAGE)
    bot.drain()
    assert surveys_in(fake, root) == [] and survey_rows(bot)[0].message_ts is None
    csat = bot.app.runtime.deps.csat
    assert csat.retry_undelivered() == 0  # the resolving request may still be posting
    clock.advance(minutes=2)
    assert csat.retry_undelivered() == 1
    assert csat.retry_undelivered() == 0
    [survey] = surveys_in(fake, root)
    assert survey_rows(bot)[0].message_ts == survey["ts"]


@pytest.mark.parametrize("action", ["self_served", "auto_closed", "closed", "reopened"])
def test_only_an_agents_resolve_plans_a_survey(bot, fake, action):
    open_ticket(bot)
    csat = bot.app.runtime.deps.csat
    with bot.session() as session:
        ticket = session.exec(select(Ticket)).one()
        csat.observe(session, ticket, action, AGENT, {})
        session.commit()
    assert survey_rows(bot) == []
    assert csat.deliver(ticket_id=ticket.id) is False


def test_a_form_slack_refuses_to_open_asks_to_press_again(bot, fake):
    _root, survey = resolved_ticket(bot, fake)
    rate(bot, survey, 4)
    fake.fail_next("views.open", status=500, times=4)
    bot.driver.block_action("csat_comment", "1", user=CUSTOMER, channel=HELP)
    bot.drain()
    assert "Please press again" in fake.ephemerals(HELP, CUSTOMER)[-1]["text"]


def test_a_merged_tickets_survey_loses_its_buttons(bot, fake):
    root, survey = resolved_ticket(bot, fake)  # #1, resolved: surveyed
    open_ticket(bot, "Export fails")
    ticket_cmd(bot, "merge #2 #1")  # the surveyed ticket folds into #2
    bot.drain()
    # The stars go at the merge, before anyone presses one; the question stays.
    [retired] = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == survey["ts"]]
    assert "csat_rate" not in str(retired["blocks"]) and "actions" not in str(retired["blocks"])
    assert "handling this" in str(retired["blocks"])
    # A customer whose Slack still shows the stars presses one.
    payload = bot.driver.block_action_payload(
        "csat_rate_5", "1:5", user=CUSTOMER, channel=HELP, message_ts=survey["ts"],
        thread_ts=root, message=survey,
    )  # fmt: skip
    assert bot.driver.action(payload).status == 200
    bot.drain()
    [told] = fake.ephemerals(HELP, CUSTOMER)
    assert "handling this in" in told["text"] and "#" not in told["text"].split("|")[-1]
    updates = [c.args for c in fake.calls_to("chat.update") if c.args["ts"] == survey["ts"]]
    assert all("csat_rate" not in str(update["blocks"]) for update in updates)
    assert survey_rows(bot)[0].rating is None
